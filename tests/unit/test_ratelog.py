"""A flood of rejections is logged as its first lines and a count."""

from __future__ import annotations

import logging

import pytest

from collector.ingest.ratelog import RateLimitedLog


def test_a_flood_is_a_burst_then_a_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    log = RateLimitedLog(
        logging.getLogger("test.ratelog"), burst=3, window_seconds=60, clock=lambda: now[0]
    )
    with caplog.at_level(logging.WARNING, "test.ratelog"):
        for i in range(1000):
            log.warning("rejected %d", i)
        assert [r.getMessage() for r in caplog.records] == [f"rejected {i}" for i in range(3)]
        now[0] = 61.0
        log.warning("rejected %d", 1000)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[3] == "997 more events in the last 61 s not logged one by one"
    assert messages[4] == "rejected 1000" and len(messages) == 5


def test_a_quiet_window_logs_everything(caplog: pytest.LogCaptureFixture) -> None:
    log = RateLimitedLog(logging.getLogger("test.ratelog2"), burst=10)
    with caplog.at_level(logging.WARNING, "test.ratelog2"):
        for i in range(5):
            log.warning("rejected %d", i)
    assert len(caplog.records) == 5
