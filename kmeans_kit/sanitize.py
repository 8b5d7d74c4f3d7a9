"""Student-controlled HTML made safe: one allow-list, used wherever a page is rendered.

A submitted notebook is the student's data: its Markdown cells and every output
(``text/html``, ``text/markdown``, JavaScript, images) become HTML in the
student's feedback page and in the page formgrader shows the instructor, inside
the instructor's logged-in Jupyter session. A ``<script>`` or an ``onerror=``
that ran there could call formgrader's API with the instructor's rights and
rewrite grades. nbgrader never asks nbconvert to sanitise, and formgrader's
template renders Markdown cells itself, so nbconvert's ``sanitize_html`` alone
misses them. The kit therefore sanitises twice, with one policy:

* in the stored notebook (:class:`~kmeans_kit.adapters.nbgrader.SanitizeStudentHTML`,
  an autograde step): outputs other than text and images are dropped, HTML and
  Markdown outputs and Markdown cells with raw HTML are cleaned, so every later
  reader of ``autograded/`` (formgrader, feedback, JupyterLab) gets clean data;
* in every renderer (``grader_config.configure``): nbconvert's ``sanitize_html``
  plus this module's :func:`markdown2html` and :func:`clean_html` as the
  exporter's filters, so a page is safe even for a notebook the step never saw.

The sanitiser is ammonia (through ``nh3``), an allow-list HTML sanitiser: what is
not listed here is removed, ``<script>`` and ``<style>`` with their content.
Pictures (``<img>``), tables (pandas' ``DataFrame``) and text formatting stay.

Behind it, the feedback page carries a Content-Security-Policy that lets no script run
(:data:`CONTENT_SECURITY_POLICY`, written by the kit's template in :data:`TEMPLATES`):
whatever a sanitiser might miss still does not run there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nh3

#: The kit's nbconvert templates: listed before nbgrader's, they add to its pages.
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The feedback page's policy: no script, no plugin, no form, no <base>; styles and
#: pictures (inline data, or files next to the page) only.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'none'; object-src 'none'; "
                           "base-uri 'none'; form-action 'none'; style-src 'self' "
                           "'unsafe-inline'; img-src 'self' data: file:; font-src 'self' data:")


def nbgrader_templates() -> Path:
    """Where nbgrader keeps its feedback and formgrade templates."""
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / \
        "templates"

#: Elements a student's HTML may keep: text, lists, tables, pictures, code, details.
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd",
    "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
    "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
#: Attributes they may keep. No ``id`` or ``name``: an element with the id of a global
#: could shadow it in the page's own scripts (DOM clobbering). No ``style``.
ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "ol": {"start"},
}
#: Schemes a link or a picture may use (relative addresses are kept: a picture
#: next to the notebook, an anchor). ``data:`` only as a picture's bytes in an ``<img>``.
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Elements removed with everything inside them.
DROPPED_WITH_CONTENT = frozenset({"script", "style"})

# Raw HTML in Markdown starts with "<" and a letter, "/", "!" or "?"; a link may be
# written with any scheme, so a javascript: anywhere is treated as raw HTML too.
_RAW_HTML = re.compile(r"<[A-Za-z/!?]|javascript\s*:", re.IGNORECASE)


#: The only inline data a page keeps: a picture's bytes in an ``<img>`` (the notebook's GIF).
_PICTURE_DATA = re.compile(r"data:image/(png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]*\Z")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if value.lstrip().lower().startswith("data:"):
        return value if tag == "img" and attribute == "src" and _PICTURE_DATA.match(value) \
            else None
    return value


#: The policy, built once: nh3's Cleaner keeps it compiled between pages.
_CLEANER = nh3.Cleaner(tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
                       clean_content_tags=set(DROPPED_WITH_CONTENT),
                       url_schemes=set(URL_SCHEMES) | {"data"}, attribute_filter=_keep_attribute,
                       link_rel="noopener noreferrer", strip_comments=True)


def clean_html(html: str) -> str:
    """``html`` with everything outside the kit's allow-list removed."""
    return _CLEANER.clean(str(html))


def has_raw_html(markdown: str) -> bool:
    """Whether Markdown source holds raw HTML (or a ``javascript:`` address)."""
    return bool(_RAW_HTML.search(markdown))


def clean_markdown(markdown: str) -> str:
    """Markdown source that renders to nothing unsafe in any Markdown renderer.

    Markdown without raw HTML is returned unchanged (byte for byte, so a
    student's answer and its checksum stay as written); otherwise its HTML is
    sanitised, and ``javascript:`` addresses lose their scheme.
    """
    if not has_raw_html(markdown):
        return markdown
    cleaned = clean_html(markdown)
    return re.sub(r"javascript\s*:", "javascript-removed:", cleaned, flags=re.IGNORECASE)


def markdown2html(source: str) -> str:
    """nbconvert's Markdown renderer, with its result cleaned: the filter every page uses."""
    from nbconvert.filters.markdown import markdown2html_mistune

    return clean_html(markdown2html_mistune(str(source)))
