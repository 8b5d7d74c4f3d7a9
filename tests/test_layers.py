"""The layers of docs/checks.md are the real imports: every import points down, never up."""

from __future__ import annotations

import ast

import pytest
from helpers import ROOT

#: Bottom to top, as docs/checks.md and kmeans_kit/__init__.py draw them. A module may
#: import its own layer's modules and those of lower layers only.
LAYERS = [
    ("reference",),
    ("kmeans_kit.protocol", "kmeans_kit.settings", "kmeans_kit.cells", "kmeans_kit.sanitize"),
    ("kmeans_kit.data", "kmeans_kit.notes", "kmeans_kit.plots", "kmeans_kit.submission"),
    ("kmeans_kit.messages", "kmeans_kit.student_data"),
    ("kmeans_kit.answers",),
    ("kmeans_kit.checks", "kmeans_kit.runner"),   # side by side: neither imports the other
    ("kmeans_kit.grading",),
    ("kmeans_kit.adapters",),
    ("kmeans_kit.build",),
    ("kmeans_kit.report",),
    ("kmeans_kit.course",),
    ("kmeans_kit.cli",),
    ("kmeans_kit.__main__", "kmeans_kit"),   # the package itself: exactly, not its modules
]


def _layer(module: str) -> tuple[int, str]:
    best = None
    for number, names in enumerate(LAYERS):
        for name in names:
            below = module.startswith(name + ".") and name != "kmeans_kit"
            if (module == name or below) and (best is None or len(name) > len(best[1])):
                best = (number, name)
    assert best is not None, f"{module} is in no layer: add it to LAYERS and docs/checks.md"
    return best


def _imports() -> dict[str, set[str]]:
    """Every kit module and the kit modules it imports (at import time or lazily)."""
    graph = {}
    for package in ("reference", "kmeans_kit"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            module = ".".join(parts).removesuffix(".__init__")
            here = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
            found = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom):
                    base = here.split(".")[:len(here.split(".")) - node.level + 1] \
                        if node.level else []
                    target = ".".join(base + ([node.module] if node.module else []))
                    names = [target] if node.module else \
                        [f"{target}.{alias.name}" for alias in node.names]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                found |= {n for n in names if n.split(".")[0] in ("reference", "kmeans_kit",
                                                                  "grader_config")}
            graph[module] = found - {module}
    return graph


GRAPH = _imports()


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_every_import_points_down(module):
    level, own = _layer(module)
    for target in GRAPH[module]:
        assert not target.startswith("grader_config"), \
            f"{module} imports grader_config: read it through kmeans_kit.settings"
        other, name = _layer(target)
        assert other < level or (other == level and name == own), \
            f"{module} (layer {level}) imports {target} (layer {other}): an import that points up"


def test_the_checks_and_the_runner_know_nothing_of_each_other():
    checks = {t for m, ts in GRAPH.items() if m.startswith("kmeans_kit.checks") for t in ts}
    runner = {t for m, ts in GRAPH.items() if m.startswith("kmeans_kit.runner") for t in ts}
    assert not {t for t in checks if t.startswith("kmeans_kit.runner")}
    assert not {t for t in runner if t.startswith("kmeans_kit.checks")}
    assert "kmeans_kit.runner.worker" not in GRAPH["kmeans_kit.runner.isolated"]
