"""Under ``--dist loadfile`` (what ``make test`` runs), pytest-xdist's own scheduling algorithm,
with the scheduler of tests/demo_run.py, sends every module of the demo's ``CONSUMERS`` to one
worker (so the suite runs the demo once) and still spreads the other modules by file."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from tests.demo_run import CONSUMERS, demo_scheduler


@dataclass
class _Config:
    """What xdist's load-scope schedulers read of pytest's config."""

    dist: str
    workers: int
    option: Any = field(default_factory=lambda: SimpleNamespace(loadscopereorder=True))

    def getvalue(self, name: str) -> object:
        return {"dist": self.dist, "tx": [f"{self.workers}*popen"]}[name]


@dataclass(eq=False)
class _Worker:
    """A worker as the scheduler drives it: it is sent indexes into its collection."""

    name: str
    sent: list[int] = field(default_factory=list)
    shutting_down: bool = False

    @property
    def gateway(self) -> SimpleNamespace:
        return SimpleNamespace(id=self.name)

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent += indexes

    def shutdown(self) -> None:
        self.shutting_down = True


COLLECTION = [
    *(f"tests/alerts/test_mail.py::test_{i}" for i in range(3)),
    *(f"{m}::test_{i}" for m in sorted(CONSUMERS) for i in range(2)),
    *(f"tests/collector/test_ingest.py::test_{i}" for i in range(5)),
    "tests/dashboards/test_structure.py::test_dashboard_structure[veille-parc]",
    *(f"tests/unit/test_wire.py::test_{i}" for i in range(4)),
]


def _schedule(dist: str, workers: int) -> dict[str, set[str]]:
    """Which modules each worker runs (until all is done), by xdist's algorithm."""
    sched: Any = demo_scheduler(_Config(dist, workers), None)  # type: ignore[arg-type]
    nodes = [_Worker(f"gw{i}") for i in range(workers)]
    for node in nodes:
        sched.add_node(node)
    for node in nodes:
        sched.add_node_collection(node, COLLECTION)
    sched.schedule()
    ran: dict[str, set[str]] = {n.name: set() for n in nodes}
    while any(n.sent for n in nodes):  # the workers run a test each in turn
        for node in nodes:
            if node.sent:
                index = node.sent.pop(0)
                ran[node.name].add(COLLECTION[index].split("::", 1)[0])
                sched.mark_test_complete(node, index)
    assert sched.tests_finished
    return ran


@pytest.mark.parametrize("dist", ["loadfile", "loadscope"])
def test_the_demo_consumers_go_to_one_worker_the_others_by_file(dist: str) -> None:
    ran = _schedule(dist, workers=3)
    with_demo = [w for w, modules in ran.items() if modules & CONSUMERS]
    assert len(with_demo) == 1, ran
    assert ran[with_demo[0]] >= CONSUMERS
    assert sum(len(m) for m in ran.values()) == len({n.split("::", 1)[0] for n in COLLECTION})
    assert len([w for w, modules in ran.items() if modules]) == 3  # the rest still spread


def test_other_distributions_keep_xdists_own_scheduler() -> None:
    assert demo_scheduler(_Config("load", 2), None) is None  # type: ignore[arg-type]
