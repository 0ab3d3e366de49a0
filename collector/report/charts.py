"""Charts over time as geometry for inline SVG (the template draws it; no script, no network).

Four charts: kWh per ISO week per domain (stacked bars), PUE per month per datacentre (lines
with dots), progress against the target (the straight-line path from the baseline year to
the target year, and the period's figure annualised pro-rata, as a dot) and the sleep windows
of each night by outcome (stacked shares). Missing values are
left out of the drawing, never drawn as 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from collector.analysis.compliance_figures import ComplianceLine
from collector.report.model import PeriodReport, SeriesPoint

#: Colours of series, in order (domains, datacentres); chosen apart so a screenshot can be
#: checked pixel by pixel.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
PATH_COLOUR = "#0a9396"
ACTUAL_COLOUR = "#ee9b00"
W, H, LEFT, BOTTOM, TOP = 900, 240, 70, 30, 20


@dataclass
class Chart:
    title: str
    width: int = W
    height: int = H
    rects: list[tuple[float, float, float, float, str, str]] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # points, colour
    dots: list[tuple[float, float, str, str]] = field(default_factory=list)
    texts: list[tuple[float, float, str, str]] = field(default_factory=list)  # x, y, anchor, text
    legend: list[tuple[str, str]] = field(default_factory=list)  # colour, label
    empty: bool = False


Fmt = Callable[[float], str]


def _y(value: float, top: float) -> float:
    return H - BOTTOM - (H - BOTTOM - TOP) * (value / top if top else 0.0)


def _axis(c: Chart, top: float, fmt: Fmt, unit: str) -> None:
    for k in range(5):
        v = top * k / 4
        c.texts.append((LEFT - 6, _y(v, top) + 4, "end", fmt(v)))
        c.lines.append((f"{LEFT},{_y(v, top):.1f} {W - 10},{_y(v, top):.1f}", "#dddddd"))
    c.texts.append((4, TOP - 6, "start", unit))


def weekly(
    points: list[SeriesPoint],
    title: str,
    fmt: Fmt,
    unit: str,
    week: Callable[[str], str] = lambda label: label,
) -> Chart:
    """``week``: an ISO week's label ("2026-W48") as the reader's language writes it."""
    c = Chart(title)
    weeks = list(dict.fromkeys(p.x for p in points))
    series = list(dict.fromkeys(p.series for p in points))
    stack: dict[str, float] = {}
    for p in points:
        stack[p.x] = stack.get(p.x, 0.0) + (p.value or 0.0)
    top = max(stack.values(), default=0.0)
    if not weeks or top <= 0:
        return Chart(title, empty=True)
    _axis(c, top, fmt, unit)
    slot = (W - LEFT - 10) / len(weeks)
    base = dict.fromkeys(weeks, 0.0)
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        c.legend.append((colour, s))
        for p in points:
            if p.series != s or not p.value:
                continue
            x = LEFT + weeks.index(p.x) * slot + slot * 0.1
            y0, y1 = _y(base[p.x], top), _y(base[p.x] + p.value, top)
            c.rects.append((x, y1, slot * 0.8, y0 - y1, colour, f"{s} {week(p.x)}: {fmt(p.value)}"))
            base[p.x] += p.value
    step = max(1, len(weeks) // 13)
    for i, w in enumerate(weeks):
        if i % step == 0:
            c.texts.append((LEFT + (i + 0.5) * slot, H - BOTTOM + 16, "middle", week(w)[-3:]))
    return c


def monthly_pue(points: list[SeriesPoint], title: str, fmt: Fmt) -> Chart:
    c = Chart(title)
    months = list(dict.fromkeys(p.x for p in points))
    values = [p.value for p in points if p.value is not None]
    if not months or not values:
        return Chart(title, empty=True)
    top = max(2.0, max(values) * 1.1)
    _axis(c, top, fmt, "PUE")
    slot = (W - LEFT - 10) / len(months)
    for i, s in enumerate(dict.fromkeys(p.series for p in points)):
        colour = PALETTE[(i + 3) % len(PALETTE)]
        c.legend.append((colour, s))
        xy = [
            (LEFT + (months.index(p.x) + 0.5) * slot, _y(p.value, top))
            for p in points
            if p.series == s and p.value is not None
        ]
        if len(xy) > 1:
            c.lines.append((" ".join(f"{x:.1f},{y:.1f}" for x, y in xy), colour))
        c.dots += [(x, y, colour, s) for x, y in xy]
    for i, m in enumerate(months):
        c.texts.append((LEFT + (i + 0.5) * slot, H - BOTTOM + 16, "middle", m))
    return c


def progress(r: PeriodReport, title: str, fmt: Fmt, labels: tuple[str, str]) -> Chart:
    """The path from the baseline year (100 %) to the target year (100 % - reduction), in
    shares of the baseline, and the period's kWh as a share of the baseline scaled to the same
    period (which is its annualised share), at the period's middle."""
    t = r.trajectory
    kwh = next((p for p in t.points if p.measure == "kwh"), None) if t else None
    if t is None or kwh is None or kwh.baseline <= 0:
        return Chart(title, empty=True)
    c = Chart(title)
    top = 1.2
    _axis(c, top, fmt, "")
    x0, x1 = LEFT + 20, W - 40
    span = t.target_year + 1 - t.baseline_year  # whole civil years, the target's included

    def x(year: float) -> float:
        return x0 + (x1 - x0) * (year - t.baseline_year) / span

    y_base, y_target = _y(1.0, top), _y(1.0 - t.target_reduction, top)
    xb, xt = x(t.baseline_year + 0.5), x(t.target_year + 0.5)
    c.lines.append((f"{xb:.1f},{y_base:.1f} {xt:.1f},{y_target:.1f}", PATH_COLOUR))
    c.dots.append((xb, y_base, PATH_COLOUR, str(t.baseline_year)))
    c.dots.append((xt, y_target, PATH_COLOUR, str(t.target_year)))
    share = kwh.actual / kwh.baseline
    middle = r.start + (r.end - r.start) / 2
    year = middle.year + (middle.timetuple().tm_yday - 0.5) / 365.25
    y = _y(min(share, top), top)
    c.rects.append((x(year) - 7, y - 7, 14, 14, ACTUAL_COLOUR, fmt(share)))
    c.texts.append((x(year) + 10, y - 8, "start", fmt(share)))
    for yr in range(t.baseline_year, t.target_year + 1):
        c.texts.append((x(yr + 0.5), H - BOTTOM + 16, "middle", str(yr)))
    c.legend += [(PATH_COLOUR, labels[0]), (ACTUAL_COLOUR, labels[1])]
    return c


#: compliant, violated, unknown; apart from PALETTE, so a screenshot tells them from the others
NIGHT_COLOURS = ("#1b7837", "#b2182b", "#aaaaaa")


def nights(
    lines: list[ComplianceLine],
    title: str,
    fmt: Fmt,
    day: Callable[[date], str],
    labels: tuple[str, str, str],
) -> Chart:
    """Per night, the shares of its judged windows (exempt left out) that were compliant,
    violated and unknown, stacked to 100 %; a night without such a window is not drawn."""
    shown = [c for c in lines if c.compliant + c.violated + c.unknown > 0]
    if not shown:
        return Chart(title, empty=True)
    c = Chart(title)
    _axis(c, 1.0, fmt, "")
    slot = (W - LEFT - 10) / len(shown)
    for i, n in enumerate(shown):
        total = n.compliant + n.violated + n.unknown
        base = 0.0
        x = LEFT + i * slot + slot * 0.1
        for count, colour, label in zip(
            (n.compliant, n.violated, n.unknown), NIGHT_COLOURS, labels, strict=True
        ):
            if not count:
                continue
            share = count / total
            y0, y1 = _y(base, 1.0), _y(base + share, 1.0)
            c.rects.append((x, y1, slot * 0.8, y0 - y1, colour, f"{n.name} {label}: {fmt(share)}"))
            base += share
    step = max(1, len(shown) // 13)
    for i, n in enumerate(shown):
        if i % step == 0:
            when = date.fromisoformat(n.name)
            c.texts.append((LEFT + (i + 0.5) * slot, H - BOTTOM + 16, "middle", day(when)))
    c.legend += list(zip(NIGHT_COLOURS, labels, strict=True))
    return c
