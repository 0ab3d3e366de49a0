"""PUE of hosted datacentres from their operators' figures (``import-meter``), pure.

A stored period that lies partly inside the report period counts **pro rata of its
duration**: facility, IT, renewable and reused kWh alike are multiplied by the share of the
period inside the report period (so that period's own PUE is unchanged, only its weight), and
the result says so in its notes. ``coverage`` is the share of the report period the imported
periods cover. The category is not stated by the operators' figures: labelled as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from collector.analysis.notes import Note
from collector.analysis.periods import is_interim
from collector.analysis.pue import PueResult
from collector.config import EmissionFactor
from collector.hosted.parse import ImportedPeriod

CATEGORY = Note("category_imported")
METERED = Note("source_metered")


def _pro_rata(p: ImportedPeriod, start: datetime, end: datetime) -> tuple[float, str | None]:
    inside = (min(end, p.end) - max(start, p.start)).total_seconds()
    whole = (p.end - p.start).total_seconds()
    share = max(0.0, inside) / whole
    if share >= 1.0:
        return 1.0, None
    note = Note(
        "pro_rata",
        operator=p.operator,
        start=f"{p.start:%Y-%m-%d %H:%M}Z",
        end=f"{p.end:%Y-%m-%d %H:%M}Z",
        inside=inside / 3600,
        whole=whole / 3600,
        share=share,
    )
    return share, note


def hosted_pue(
    datacentre: str,
    periods: Sequence[ImportedPeriod],
    *,
    start: datetime,
    end: datetime,
    factors: dict[str, EmissionFactor] | None = None,
) -> PueResult:
    """The PUE of ``datacentre`` over [start, end) from its imported ``periods``."""
    if end <= start:
        raise ValueError("end must be after start")
    mine = [p for p in periods if p.datacentre == datacentre and p.start < end and p.end > start]
    fac = it = renewable = reused = covered = 0.0
    notes: list[str] = []
    for p in mine:
        share, note = _pro_rata(p, start, end)
        if note:
            notes.append(note)
        fac += p.facility_kwh * share
        it += p.it_kwh * share
        renewable += (p.renewable_kwh or 0.0) * share
        reused += (p.reused_kwh or 0.0) * share
        covered += (min(end, p.end) - max(start, p.start)).total_seconds()
    total = (end - start).total_seconds()
    interim = is_interim(start, end)
    if interim:
        notes.append(Note("interim"))
    if not mine:
        notes.append(Note("no_imported"))
    has_ref = bool(mine) and all(p.renewable_kwh is not None for p in mine)
    has_erf = bool(mine) and all(p.reused_kwh is not None for p in mine)
    if mine and not has_ref:
        notes.append(Note("ref_unknown_imported"))
    pue = fac / it if it > 0 else None
    cue = {}
    if pue is not None:
        cue = {n: fac * f.g_co2e_per_kwh / 1000 / it for n, f in sorted((factors or {}).items())}
    operators = sorted({p.operator for p in mine})
    return PueResult(
        datacentre=datacentre,
        start=start,
        end=end,
        facility_kwh=fac,
        it_kwh=it,
        pue=pue,
        category=CATEGORY,
        interim=interim,
        coverage=min(1.0, covered / total),
        ref=renewable / fac if has_ref and fac > 0 else None,
        cue_kg_per_kwh=cue,
        hours=int(covered // 3600),
        notes=tuple(notes),
        source=Note("source_imported", operators=", ".join(operators))
        if operators
        else Note("source_imported_none"),
        erf=reused / fac if has_erf and fac > 0 else None,
    )


def with_imported(
    metered: Iterable[PueResult],
    periods: Sequence[ImportedPeriod],
    *,
    start: datetime,
    end: datetime,
    factors: dict[str, EmissionFactor] | None = None,
) -> list[PueResult]:
    """The metered results, with each datacentre that has imported figures in the period and
    no metered PUE (a hosted room: nothing of veille meters it) taken from its imports."""
    out = {r.datacentre: r for r in metered}
    for dc in sorted({p.datacentre for p in periods if p.start < end and p.end > start}):
        if dc in out and out[dc].pue is not None:
            continue
        out[dc] = hosted_pue(dc, periods, start=start, end=end, factors=factors)
    return [out[dc] for dc in sorted(out)]
