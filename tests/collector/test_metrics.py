"""/metrics: every name registered once, custom collectors described, no duplicate series."""

from __future__ import annotations

import pytest
from prometheus_client import Counter, generate_latest

from collector.metrics import CollectorMetrics, SnmpStats
from collector.sinks.spool import SpoolDepth
from collector.sinks.timeseries import SinkStats
from tests.exposition import series


def test_one_scrape_holds_each_series_once_with_the_live_values() -> None:
    m = CollectorMetrics()
    m.watch_sink(lambda: SinkStats(10, 4, 1, 3, 0, SpoolDepth(2, 4, 512), None, None))
    m.watch_snmp(lambda: SnmpStats({"pdu-a": 2, "ups-b": 5}, samples_lost=7))
    got = series(generate_latest(m.registry).decode())
    assert got[("veille_collector_sink_errors_total", ())] == 3
    assert got[("veille_collector_sink_written_total", ())] == 10
    assert got[("veille_collector_sink_spool_bytes", ())] == 512
    assert got[("veille_collector_snmp_errors_total", (("target", "ups-b"),))] == 5
    assert got[("veille_collector_snmp_samples_lost_total", ())] == 7


def test_without_a_sink_or_poller_the_series_exist_at_zero() -> None:
    got = series(generate_latest(CollectorMetrics().registry).decode())
    assert got[("veille_collector_sink_errors_total", ())] == 0
    assert got[("veille_collector_snmp_samples_lost_total", ())] == 0
    assert not any(name == "veille_collector_snmp_errors_total" for name, _ in got)


def test_a_second_registration_of_a_described_name_is_refused() -> None:
    m = CollectorMetrics()
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Counter("veille_collector_sink_errors_total", "again", registry=m.registry)


def test_the_duplicate_check_fails_on_a_doubled_series() -> None:
    doubled = "# TYPE x_total counter\nx_total 0.0\nx_total 3.0\n"
    with pytest.raises(AssertionError, match="duplicate series"):
        series(doubled)
