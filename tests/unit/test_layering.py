"""The seams between the parts: what may import what (checked on the source, with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("bench", {"tests"}),  # benchmarks share loopback/, never the tests
        ("contract", {"agent", "collector", "tests", "loopback"}),  # the contract stands alone
        ("collector", {"agent", "tests", "loopback"}),  # the collector reads only the contract
        ("agent", {"collector", "tests", "loopback"}),
        ("loopback", {"tests"}),
    ],
)
def test_folder_does_not_import(folder: str, forbidden: set[str]) -> None:
    bad = {
        rel: sorted(_imports(p) & forbidden)
        for p in sorted((ROOT / folder).rglob("*.py"))
        if _imports(p) & forbidden and (rel := str(p.relative_to(ROOT))) not in RUNS_AGENTS
    }
    assert bad == {}


#: The demo runs real agents beside the collector on purpose (its simulated fleet and the
#: agent of this machine, started by collector/sim/real_agent.py); no other collector module
#: may import the agent.
RUNS_AGENTS = {"collector/demo.py", "collector/sim/real_agent.py"}
