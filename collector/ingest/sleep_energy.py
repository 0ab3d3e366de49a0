"""Energy while asleep: turn the sleep intervals an agent reports on resume into samples.

A sleeping machine sends nothing, so without this its sleep would be a gap (missing data).
The agent reports each slept interval after the fact; the collector fills it with estimated
``power_watts`` samples at the device's sleep power, one per ``step``, labelled ``estimated``.
Sleep power by kind comes from :mod:`contract.kinds` (Microsoft Configuration Manager's fixed
values: desktop 3 W, laptop 1 W; DOMAIN.md).
"""

from __future__ import annotations

from datetime import timedelta

from collector.model import Sample
from contract.kinds import DEFAULT_SLEEP_WATTS, kind_of
from contract.schema import Quality, SleptInterval


def sleep_samples(
    device_id: str,
    slept: list[SleptInterval],
    kind: str | None,
    *,
    step: timedelta = timedelta(minutes=10),
) -> list[Sample]:
    """Estimated sleep-power samples covering each interval, both ends included."""
    watts = kind_of(kind).sleep_watts or DEFAULT_SLEEP_WATTS
    out: list[Sample] = []
    for interval in slept:
        ts = interval.start
        while ts < interval.end:
            out.append(
                Sample(device_id, ts, "power_watts", watts, "sleep_model", Quality.ESTIMATED)
            )
            ts += step
        out.append(
            Sample(device_id, interval.end, "power_watts", watts, "sleep_model", Quality.ESTIMATED)
        )
    return out
