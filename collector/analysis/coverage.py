"""Which stretches of an hour have data, and the kWh of each 5-minute slot (no units but s, kWh).

An hourly row carries, beside its kWh and coverage, *where* in the hour its data is: the covered
intervals (seconds from the hour's start, merged, sorted) and the kWh of each of the twelve
5-minute slots. That lets a meter's missing minutes be filled in by the devices behind it for
those same minutes, not by an even share of their whole hour
(:func:`collector.analysis.meters.counted`).

The ledger stores both as text (``hourly_energy.covered`` and ``hourly_energy.slot_kwh``),
readable by an auditor: ``"0-1200 1500-3600"`` and twelve comma-separated kWh.
:func:`encode_covered` / :func:`decode_covered` and :func:`encode_slots` / :func:`decode_slots`
are the codecs; a bad text raises ValueError naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HOUR_SECONDS = 3600.0
SLOT_SECONDS = 300.0
SLOTS = 12

Interval = tuple[float, float]
Intervals = tuple[Interval, ...]


def merge(intervals: Iterable[Interval]) -> Intervals:
    """Sorted, non-overlapping union of ``intervals`` (touching ones are joined)."""
    out: list[list[float]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def length(intervals: Iterable[Interval]) -> float:
    """Total seconds of merged ``intervals``."""
    return sum(b - a for a, b in intervals)


def intersect(x: Intervals, y: Intervals) -> Intervals:
    """Intersection of two merged interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if b > a:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def complement(x: Intervals, lo: float = 0.0, hi: float = HOUR_SECONDS) -> Intervals:
    """[lo, hi) minus the merged intervals ``x``."""
    out: list[Interval] = []
    at = lo
    for a, b in x:
        if a > at:
            out.append((at, min(a, hi)))
        at = max(at, b)
    if at < hi:
        out.append((at, hi))
    return tuple((a, b) for a, b in out if b > a)


def slot(k: int) -> Intervals:
    """The k-th 5-minute slot of the hour, as an interval list."""
    return ((k * SLOT_SECONDS, (k + 1) * SLOT_SECONDS),)


def _num(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def encode_covered(intervals: Intervals) -> str:
    """``((0, 1200), (1500, 3600))`` -> ``"0-1200 1500-3600"`` (ms resolution)."""
    return " ".join(f"{_num(a)}-{_num(b)}" for a, b in intervals)


def decode_covered(text: str) -> Intervals:
    """The inverse of :func:`encode_covered`; ValueError naming the bad text."""
    out: list[Interval] = []
    for part in text.split():
        try:
            a, b = (float(v) for v in part.split("-"))
        except ValueError:
            raise ValueError(f"covered: bad interval {part!r} in {text!r}") from None
        if not 0.0 <= a < b <= HOUR_SECONDS:
            raise ValueError(f"covered: interval {part!r} is not inside the hour (0-3600 s)")
        out.append((a, b))
    return merge(out)


def encode_slots(slot_kwh: Sequence[float]) -> str:
    """Twelve kWh as comma-separated decimals, 6 significant digits: the slots only share the
    row's kWh out in time (the row's own ``kwh`` stays exact), so this is ample."""
    if len(slot_kwh) != SLOTS:
        raise ValueError(f"slot_kwh: {SLOTS} values expected, got {len(slot_kwh)}")
    return ",".join(f"{float(v):.6g}" for v in slot_kwh)


def decode_slots(text: str) -> tuple[float, ...]:
    """The inverse of :func:`encode_slots`; ValueError naming the bad text."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"slot_kwh: not numbers: {text!r}") from None
    if len(values) != SLOTS or any(v < 0 or v != v for v in values):
        raise ValueError(f"slot_kwh: {SLOTS} non-negative kWh expected, got {text!r}")
    return values


def to_columns(
    covered: Intervals | None, slot_kwh: Sequence[float] | None
) -> tuple[str | None, str | None]:
    """The ledger's ``(covered, slot_kwh)`` texts of a row (None stays None)."""
    return (
        None if covered is None else encode_covered(covered),
        None if slot_kwh is None else encode_slots(slot_kwh),
    )


def from_columns(
    covered: str | None, slot_kwh: str | None
) -> tuple[Intervals | None, tuple[float, ...] | None]:
    """A row's intervals and slots from the ledger's texts. A missing or unreadable text gives
    (None, None): the row then counts by the hour-level share, as rows from before revision
    0004 do, and never stops a report."""
    if covered is None or slot_kwh is None:
        return None, None
    try:
        return decode_covered(covered), decode_slots(slot_kwh)
    except ValueError:
        return None, None
