"""Fixtures of the GLPI tests: the replayed GLPI API on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.glpi.replay import GlpiReplay, recorded_rows


@pytest.fixture
def glpi() -> Iterator[GlpiReplay]:
    replay = GlpiReplay(
        rows={t: recorded_rows(t) for t in ("Computer", "Monitor", "NetworkEquipment", "PDU")}
    ).start()
    yield replay
    replay.stop()
