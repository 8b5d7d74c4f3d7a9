"""What a person sees: pages opened in headless Chromium, and a real formgrader to open.

:func:`rendered_dom` loads a page in Debian's Chromium, lets its scripts run, and
returns the DOM as they left it. :class:`Formgrader` is ``jupyter server`` with nbgrader's
formgrader on the loopback interface, in a course directory, logged in by token as the
instructor would be.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def rendered_dom(url: str, budget_ms: int = 8000, extra: list[str] = ()) -> str:
    """The DOM of ``url`` after its scripts have had ``budget_ms`` of (virtual) time
    (``extra``: more Chromium switches)."""
    assert CHROMIUM, "Chromium is not installed: bin/setup installs it (apt-get install chromium)"
    with tempfile.TemporaryDirectory(prefix="kk-chromium-") as profile:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}",
             f"--virtual-time-budget={budget_ms}", *extra, "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


#: Runs in a page of its own around the page measured (an iframe of the same file origin,
#: so the measured page's own policy, which allows no script, still holds inside it).
_MEASURE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="%(url)s" style="width:%(width)dpx;height:800px;border:0"></iframe>
<pre id="facts"></pre>
<script>
// The window's load event comes after its frames' (the frame's own may come first).
window.addEventListener("load", () => {
  const doc = document.getElementById("page").contentDocument;
  const view = doc.documentElement.clientWidth;
  const wide = [];
  for (const el of doc.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    // scrolled sideways inside its box, or spilling out of it
    const spills = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    if (box.right > view + 1 || spills)
      wide.push(el.tagName + ": " + (el.textContent || "").trim().slice(0, 80));
  }
  const images = [...doc.images].map(img => ({
    src: img.src.slice(0, 40), loaded: img.complete && img.naturalWidth > 0,
    width: img.naturalWidth}));
  document.getElementById("facts").textContent = JSON.stringify({
    width: view, scroll_width: doc.documentElement.scrollWidth,
    height: doc.documentElement.scrollHeight, wide: wide, images: images,
    text: doc.body.innerText});
});
</script></body></html>"""


def page_facts(path: Path, width: int = 1280) -> dict:
    """What Chromium shows of the page at ``path`` in a window ``width`` pixels wide: its
    visible ``text``, its ``height``, the elements wider than the window or scrolled
    sideways (``wide``), and each picture with whether it ``loaded``."""
    import html
    import json

    with tempfile.TemporaryDirectory(prefix="kk-measure-") as tmp:
        wrapper = Path(tmp) / "measure.html"
        wrapper.write_text(_MEASURE % {"url": html.escape(Path(path).resolve().as_uri()),
                                       "width": width})
        dom = rendered_dom(wrapper.as_uri(), budget_ms=60000,
                           extra=["--allow-file-access-from-files"])
    found = dom.split('<pre id="facts">', 1)[1].split("</pre>", 1)[0]
    assert found.strip(), f"the page did not load in Chromium: {dom[:1500]}"
    return json.loads(html.unescape(found))


def screenshot(path: Path, png: Path, width: int = 1280, height: int = 1600) -> Path:
    """A PNG of the top ``height`` pixels of the page at ``path``, as Chromium draws it."""
    assert CHROMIUM, "Chromium is not installed: bin/setup installs it (apt-get install chromium)"
    with tempfile.TemporaryDirectory(prefix="kk-chromium-") as profile:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", f"--screenshot={png}",
                        Path(path).resolve().as_uri()],
                       capture_output=True, timeout=120, check=True)
    return png


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Formgrader:
    """``jupyter server`` with formgrader in ``course`` (a context manager)."""

    def __init__(self, course: Path, env: dict[str, str] | None = None):
        self.course = Path(course)
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self._env = dict(env or os.environ)
        self._log = tempfile.TemporaryFile()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """``path`` on the server, with the token that logs the instructor in."""
        return f"{self.base}{path}?token={self.token}"

    def __enter__(self) -> Formgrader:
        jupyter = str(Path(sys.executable).parent / "jupyter")
        self._process = subprocess.Popen(
            [jupyter, "server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={self.port}", f"--ServerApp.token={self.token}",
             f"--ServerApp.root_dir={self.course}"],
            cwd=self.course, env=dict(self._env, KMEANS_COURSE_DIR=str(self.course)),
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url("/api/status"), timeout=5):
                    return self
            except OSError:
                if self._process.poll() is not None or time.monotonic() > end:
                    self.__exit__()
                    raise RuntimeError(f"jupyter server did not start:\n{self.log()}") from None
                time.sleep(0.3)

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def __exit__(self, *exc) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
