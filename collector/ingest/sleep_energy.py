"""Energy while asleep: turn the sleep intervals an agent reports on resume into samples.

A sleeping machine sends nothing, so without this its sleep would be a gap (missing data).
The agent reports each slept interval after the fact; the collector fills it with estimated
``power_watts`` samples at the device's sleep power, one per ``step``, labelled ``estimated``.
Default sleep power by kind: Microsoft Configuration Manager's fixed values (desktop 3 W,
laptop 1 W; DOMAIN.md).
"""

from __future__ import annotations

from datetime import timedelta

from collector.model import Sample
from contract.schema import Quality, SleptInterval

SLEEP_WATTS_BY_KIND = {"desktop": 3.0, "laptop": 1.0, "thin_client": 1.0, "monitor": 0.5}
DEFAULT_SLEEP_WATTS = 2.0


def sleep_samples(
    device_id: str,
    slept: list[SleptInterval],
    kind: str | None,
    *,
    step: timedelta = timedelta(minutes=10),
) -> list[Sample]:
    """Estimated sleep-power samples covering each interval, both ends included."""
    watts = SLEEP_WATTS_BY_KIND.get(kind or "", DEFAULT_SLEEP_WATTS)
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
