"""What many tests need: where the checkout's assignments are, the registry by group, and
Python code run in a jail of its own."""

import subprocess
import sys
from pathlib import Path

from kmeans_kit.checks import registry
from kmeans_kit.runner.jail import Jail, JailLimits

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
DEMO_CLASS = ASSIGNMENTS / "demo_class"
SOURCE = ASSIGNMENTS / "source" / "kmeans" / "kmeans.ipynb"
RELEASE = ASSIGNMENTS / "release" / "kmeans" / "kmeans.ipynb"

#: check id -> title, in registry order.
TITLES = {check.id: check.title for check in registry.CHECKS}
#: group -> its check ids, in registry order.
GROUPS = {name: [check.id for check in registry.group(name)] for name in registry.GROUPS}


def jailed_run(tmp_path, code: str, limits: JailLimits, grouped: bool, name: str,
                **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run Python ``code`` in a jail of its own; with Popen keyword arguments, start it and
    return the process, whose ``jail`` the caller closes once it is gone."""
    scratch = tmp_path / name
    scratch.mkdir()
    jail = Jail(scratch, limits, grouped=grouped)
    jail.prepare()
    argv = jail.command([sys.executable, "-c", code])
    if popen:
        process = subprocess.Popen(argv, **popen)
        process.jail = jail   # closed by the caller once the process is gone
        return process
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)
    finally:
        jail.close()
