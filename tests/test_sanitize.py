"""The student's HTML is data: the kit's allow-list keeps text, tables and pictures only.

What a browser does with the result is tested in tests/test_red_team.py (the feedback page
and formgrader's page in headless Chromium); here, what the sanitiser keeps and drops.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kmeans_kit import sanitize
from kmeans_kit.adapters.nbgrader import SanitizeStudentHTML

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<iframe src="https://example.com"></iframe>',
    '<object data="x.swf"></object>',
    "<style>body{display:none}</style>",
    '<form action="/formgrader/api/grade"><input name=score></form>',
    '<div style="position:fixed;top:0">fake grade</div>',
    '<meta http-equiv="refresh" content="0;url=https://example.com">',
    '<base href="https://example.com/">',
    '<p id="xsrf" name="token">clobbers a global</p>',
]
UNSAFE = ("<script", "onerror", "onload", "javascript:", "<iframe", "<object", "<style",
          "<form", "<input", "style=", "<meta", "<base", "id=", "name=")


@pytest.mark.parametrize("attack", ATTACKS)
def test_clean_html_removes_script_handlers_and_active_content(attack):
    cleaned = sanitize.clean_html(attack).lower()
    assert not [word for word in UNSAFE if word in cleaned], cleaned


def test_clean_html_drops_script_and_style_with_their_content():
    assert sanitize.clean_html("<script>alert(1)</script><style>p{}</style>ok") == "ok"


def test_clean_html_keeps_tables_pictures_and_text_formatting():
    table = ('<table class="dataframe"><thead><tr><th>x</th></tr></thead>'
             '<tbody><tr><td colspan="2">1</td></tr></tbody></table>')
    assert sanitize.clean_html(table) == table
    picture = '<img src="kmeans.gif" alt="the iterations">'
    assert sanitize.clean_html(picture) == picture
    assert sanitize.clean_html("<b>bold</b> <code>x</code> <sub>2</sub>") == \
        "<b>bold</b> <code>x</code> <sub>2</sub>"


def test_markdown_without_raw_html_is_left_exactly_as_written():
    answer = "> quoted\n\nUse `mu_now` not `mu`, since a < b and $x_i$ & more.\n"
    assert not sanitize.has_raw_html(answer)
    assert sanitize.clean_markdown(answer) == answer


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_with_raw_html_renders_to_nothing_unsafe(attack):
    markdown = f"My answer.\n\n{attack}\n\n[click](javascript:alert(1))"
    for rendered in (sanitize.markdown2html(markdown),
                     sanitize.markdown2html(sanitize.clean_markdown(markdown))):
        assert not [word for word in UNSAFE if word in rendered.lower()], rendered
        assert "My answer." in rendered


def _notebook():
    html = ("<script>alert(1)</script><table class='dataframe'><tr><td>1</td></tr></table>")
    outputs = [
        new_output("display_data", data={"text/html": html, "text/plain": "table"}),
        new_output("display_data", data={"application/javascript": "alert(1)",
                                         "text/plain": "<Javascript>"}),
        new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "fig"}),
        new_output("display_data", data={"image/gif": "R0lGODlh", "text/plain": "gif"}),
        new_output("display_data", data={"text/markdown": "<img src=x onerror=alert(1)>"}),
        new_output("stream", name="stdout", text="<script>printed</script>"),
    ]
    return new_notebook(cells=[
        new_markdown_cell("plain *answer* with a < b"),
        new_markdown_cell("<img src=x onerror=alert(1)> answer"),
        new_code_cell("x", outputs=outputs),
    ])


def test_the_autograde_step_cleans_markdown_and_outputs_and_keeps_pictures():
    nb, _ = SanitizeStudentHTML()(_notebook(), {})
    plain, hostile, code = nb.cells
    assert plain.source == "plain *answer* with a < b"
    assert "onerror" not in hostile.source and "answer" in hostile.source
    html, javascript, png, gif, markdown, stream = code.outputs
    assert "<script" not in html.data["text/html"] and "dataframe" in html.data["text/html"]
    assert "application/javascript" not in javascript.data
    assert png.data["image/png"] == "iVBORw0KGgo="
    assert gif.data["image/gif"] == "R0lGODlh"
    assert "onerror" not in markdown.data["text/markdown"]
    # Stream text is shown escaped by every template: it stays as the student printed it.
    assert stream.text == "<script>printed</script>"
    nbformat.validate(nb)


def test_every_page_nbgrader_renders_uses_the_kits_filters(tmp_path):
    """grader_config gives nbconvert's HTMLExporter (feedback, formgrader) the kit's
    sanitising filters, and what it renders of a hostile notebook has no script."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    import grader_config

    config = Config()
    grader_config.configure(config, tmp_path)
    html, _ = HTMLExporter(config=config).from_notebook_node(_notebook())
    body = html.split("<body", 1)[1].lower()
    assert "alert(1)" not in body and "onerror" not in body
    assert "dataframe" in body and "data:image/png;base64,ivborw0kggo=" in body


def test_a_pictures_bytes_stay_only_as_an_img_of_a_picture_type():
    gif = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="run">'
    assert sanitize.clean_html(gif) == gif
    for hostile in ('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
                    '<img src="data:text/html;base64,PHNjcmlwdD4=">',
                    '<a href="data:image/png;base64,iVBOR">x</a>',
                    '<img src="data:image/png;base64,iVBOR" onerror="alert(1)">'):
        cleaned = sanitize.clean_html(hostile)
        assert "svg" not in cleaned and "text/html" not in cleaned and "onerror" not in cleaned
        assert "data:" not in cleaned or cleaned.startswith('<img src="data:image/png')
