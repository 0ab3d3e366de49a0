"""Helpers for the agent tests: recorded outputs and sysfs trees under tests/fixtures/agent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

AGENT_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agent"


def fixture_text(relative: str) -> str:
    return (AGENT_FIXTURES / relative).read_text(encoding="utf-8")


def copy_sysfs(name: str, dest: Path) -> Path:
    """Copy a checked-in sysfs tree; ``__`` in names stands for ``:`` (portable checkouts)."""
    src = AGENT_FIXTURES / "sysfs" / name
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.rglob("*")):
        target = dest / str(path.relative_to(src)).replace("__", ":")
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return dest


@pytest.fixture
def fixtures() -> Path:
    return AGENT_FIXTURES
