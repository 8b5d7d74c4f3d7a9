"""What many tests need: where the checkout's assignments are, and the registry by group."""

from pathlib import Path

from kmeans_kit.checks import registry

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
DEMO_CLASS = ASSIGNMENTS / "demo_class"
SOURCE = ASSIGNMENTS / "source" / "kmeans" / "kmeans.ipynb"
RELEASE = ASSIGNMENTS / "release" / "kmeans" / "kmeans.ipynb"

#: check id -> title, in registry order.
TITLES = {check.id: check.title for check in registry.CHECKS}
#: group -> its check ids, in registry order.
GROUPS = {name: [check.id for check in registry.group(name)] for name in registry.GROUPS}
