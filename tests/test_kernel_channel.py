"""What crosses back from the notebook's kernel is checked and bounded on the judge's side.

The end-to-end attacks (a 340 MB output flood, forged messages, a full disk, a tree
deeper than Python's recursion limit) are in tests/test_red_team.py; here, the pieces on
real messages and real files.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from kmeans_kit.runner.jailed_kernel import COPY_BACK_DEPTH, _copy_regular_files, _remove
from kmeans_kit.runner.kernel_channel import malformed, output_bytes


def _msg(msg_type: str, content: dict, **header) -> dict:
    head = {"msg_id": "m1", "msg_type": msg_type,
            "date": datetime.datetime.now(datetime.UTC), **header}
    return {"header": head, "parent_header": {"msg_id": "p1"}, "metadata": {},
            "msg_type": msg_type, "content": content, "buffers": []}


GOOD = [
    _msg("status", {"execution_state": "idle"}),
    _msg("stream", {"name": "stdout", "text": "hi"}),
    _msg("display_data", {"data": {"text/plain": "x", "image/png": "iVBOR"}, "metadata": {},
                          "transient": {"display_id": "d1"}}),
    _msg("display_data", {"data": {"application/json": {"a": 1}}, "metadata": {}}),
    _msg("execute_result", {"data": {"text/plain": "1"}, "metadata": {},
                            "execution_count": 3}),
    _msg("error", {"ename": "E", "evalue": "v", "traceback": ["a", "b"]}),
    _msg("execute_reply", {"status": "ok", "execution_count": 1}),
    _msg("clear_output", {"wait": True}),
]
BAD = {
    "transient not a dict": _msg("display_data", {"data": {"text/plain": "x"}, "metadata": {},
                                                  "transient": "not a dict"}),
    "data not text": _msg("display_data", {"data": {"text/plain": 5}, "metadata": {}}),
    "display_id not text": _msg("update_display_data", {
        "data": {"text/plain": "x"}, "metadata": {}, "transient": {"display_id": ["x"]}}),
    "state not text": _msg("status", {"execution_state": 5}),
    "stream stdin": _msg("stream", {"name": "stdin", "text": "x"}),
    "unknown type": _msg("made_up_type", {}),
    "types differ": {**_msg("stream", {"name": "stdout", "text": "x"}), "msg_type": "status"},
    "date not a date": _msg("stream", {"name": "stdout", "text": "x"}, date="yesterday"),
    "parent not a dict": {**_msg("status", {"execution_state": "idle"}), "parent_header": []},
    "count not a number": _msg("execute_result", {"data": {}, "metadata": {},
                                                  "execution_count": "3"}),
    "reply status": _msg("execute_reply", {"status": "great"}),
    "traceback not text": _msg("error", {"ename": "E", "evalue": "v", "traceback": [1]}),
}


@pytest.mark.parametrize("msg", GOOD, ids=lambda m: m["msg_type"])
def test_well_formed_messages_pass(msg):
    assert malformed(msg) is None


@pytest.mark.parametrize("name", BAD)
def test_malformed_messages_are_named(name):
    reason = malformed(BAD[name])
    assert isinstance(reason, str) and reason


def test_output_bytes_counts_every_kind_of_output():
    assert output_bytes(_msg("stream", {"name": "stdout", "text": "x" * 10})) == 10
    assert output_bytes(GOOD[2]) == len("x") + len("iVBOR")
    assert output_bytes(_msg("status", {"execution_state": "idle"})) == 0


@pytest.fixture
def deep(tmp_path):
    """A directory whose trees are removed with ``rm`` after the test: pytest's own
    clean-up of old temporary directories recurses, and would fail on them."""
    yield tmp_path
    _remove(tmp_path)


def _tree(root: Path, depth: int, files: int) -> None:
    (root / "many").mkdir(parents=True)
    for i in range(files):
        (root / "many" / str(i)).touch()
    fd = os.open(root, os.O_RDONLY)
    try:   # a chain deeper than Python's recursion limit, built without long paths
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
    (root / "picture.png").write_bytes(b"\x89PNG" + b"\0" * 100)


def test_copy_back_is_bounded_in_files_and_depth_and_never_recurses(deep):
    scratch, notebook_dir = deep / "scratch", deep / "notebook"
    _tree(scratch, depth=1500, files=3000)
    notebook_dir.mkdir()
    _copy_regular_files(scratch, notebook_dir, skip=(".py",), max_files=100,
                        max_bytes=2**20)
    copied = [path for path, _, names in os.walk(notebook_dir) for _ in [0, *names]]
    assert len(copied) <= 100 + 2
    depth = max(len(Path(path).relative_to(notebook_dir).parts)
                for path, _, _ in os.walk(notebook_dir))
    assert depth <= COPY_BACK_DEPTH + 1


def test_copy_back_keeps_the_pictures_a_notebook_makes(tmp_path):
    scratch, notebook_dir = tmp_path / "scratch", tmp_path / "notebook"
    scratch.mkdir()
    notebook_dir.mkdir()
    (scratch / "kmeans.gif").write_bytes(b"GIF89a" + b"\0" * 10)
    (scratch / "cheat.py").write_text("import os")
    (scratch / "link.gif").symlink_to("/etc/passwd")
    _copy_regular_files(scratch, notebook_dir, skip=(".py",), max_files=100, max_bytes=2**20)
    assert sorted(p.name for p in notebook_dir.iterdir()) == ["kmeans.gif"]


def test_cleanup_removes_a_tree_deeper_than_the_recursion_limit(deep):
    private = deep / "kk-private"
    _tree(private / "work", depth=1500, files=10)
    _remove(private)
    assert not private.exists()
