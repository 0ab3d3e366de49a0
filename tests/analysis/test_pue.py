"""PUE worked example over a quarter, the annual figure, the indicative ratio, REF/CUE/ERF."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from collector.analysis.energy import HourlyEnergy
from collector.analysis.indicators import SupplyContract, SupplyMix, cue_market, erf, ref
from collector.analysis.periods import period_of
from collector.analysis.pue import annual_pue, pue_by_datacentre
from collector.analysis.pue_now import instantaneous_pue
from collector.inventory import Device, Inventory
from collector.model import Sample
from contract.schema import Quality

INV = Inventory(
    [
        Device(id="tgbt", kind="facility_meter", datacentre="dc1", pue_role="facility"),
        Device(id="ups-1", kind="ups", datacentre="dc1", pue_role="it", metered_by="tgbt"),
        Device(id="pdu-1", kind="pdu", datacentre="dc1", pue_role="it", metered_by="ups-1"),
    ]
)
FACILITY_BY_MONTH = {7: 48.0, 8: 42.0, 9: 45.0}  # kWh per hour
IT = 32.0
DROPPED = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)  # the facility meter missed this hour


def row(device: str, hour: datetime, kwh: float, coverage: float = 1.0) -> HourlyEnergy:
    return HourlyEnergy(device, hour, kwh, coverage, kwh, 0.0, "snmp", 0)


def quarter_rows(start: datetime, end: datetime) -> list[HourlyEnergy]:
    rows = []
    h = start
    while h < end:
        month = (h + timedelta(hours=2)).month  # the local (Paris, summer) month
        fac = FACILITY_BY_MONTH.get(month, 45.0)
        rows.append(row("tgbt", h, fac, 0.0 if h == DROPPED else 1.0))
        rows.append(row("ups-1", h, IT))
        rows.append(row("pdu-1", h, IT - 2))  # behind the UPS: never summed with it
        h += timedelta(hours=1)
    return rows


def test_pue_worked_example_over_a_quarter() -> None:
    q3 = period_of("quarter", date(2026, 8, 1), "Europe/Paris")
    assert (q3.label, q3.hours) == ("2026-T3", 2208)  # 31 + 31 + 30 days
    [dc] = pue_by_datacentre(quarter_rows(q3.start, q3.end), INV, start=q3.start, end=q3.end)
    # by hand: July 744 h x 48 + August 743 h x 42 (one hour dropped) + September 720 h x 45
    facility = 744 * 48 + 743 * 42 + 720 * 45
    it = (744 + 743 + 720) * 32
    assert (facility, it) == (99_318, 70_624)
    assert dc.facility_kwh == pytest.approx(facility) and dc.it_kwh == pytest.approx(it)
    assert dc.pue is not None and round(dc.pue, 4) == 1.4063
    assert dc.pue == pytest.approx(99_318 / 70_624, rel=1e-12)
    assert dc.category == "category 1 (UPS output)"
    assert dc.interim and dc.figure == "interim"
    assert dc.hours == 2207 and dc.coverage == pytest.approx(2207 / 2208)
    assert any("tgbt: 1 h without complete data" in n for n in dc.notes)


def test_annual_pue_is_the_trailing_twelve_months() -> None:
    end = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    start = datetime(2025, 10, 1, 0, 0, tzinfo=UTC)
    rows = quarter_rows(start - timedelta(days=3), end + timedelta(days=3))
    [dc] = annual_pue(rows, INV, end=end)
    assert (dc.start, dc.end) == (start, end) and dc.hours == 8759  # of 8760
    assert not dc.interim and dc.figure == "annual"
    fac = sum(r.kwh for r in rows if r.device_id == "tgbt" and start <= r.hour < end)
    fac -= 42.0  # the dropped hour is left out of both sides
    assert dc.pue == pytest.approx(fac / (8759 * IT))


def _power(device: str, ts: datetime, watts: float) -> Sample:
    return Sample(device, ts, "power_watts", watts, "snmp", Quality.MEASURED)


def test_instantaneous_ratio_is_indicative_and_needs_every_meter() -> None:
    now = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    samples = [
        _power("tgbt", now - timedelta(seconds=30), 45_000.0),
        _power("tgbt", now - timedelta(seconds=90), 99_000.0),  # older: not the latest
        _power("ups-1", now - timedelta(seconds=20), 30_000.0),
        _power("pdu-1", now - timedelta(seconds=20), 28_000.0),
    ]
    [dc] = instantaneous_pue(samples, INV, at=now, max_age_seconds=120)
    assert dc.ratio == pytest.approx(1.5) and dc.indicative and "indicative" in dc.note
    assert dc.category == "category 1 (UPS output)" and dc.missing == ()
    [stale] = instantaneous_pue(samples[2:], INV, at=now, max_age_seconds=120)
    assert stale.ratio is None and stale.missing == ("tgbt",)


def test_nantes_ref_and_market_cue() -> None:
    mix = SupplyMix(
        contracts=(
            SupplyContract(
                name="green", share=0.5, renewable_share=1.0, g_co2e_per_kwh=31.0,
                source="contrat d'électricité verte", year=2024,
            ),
        )
    )  # fmt: skip
    assert ref(mix) == pytest.approx(0.5)
    # E_DC = 1.4 x E_IT; half at 31 g/kWh, half at the 60 g/kWh residual mix
    assert cue_market(1400.0, 1000.0, mix, 60.0) == pytest.approx(1.4 * 45.5 / 1000)
    assert cue_market(1400.0, 0.0, mix, 60.0) is None
    assert erf(None, 1400.0) is None and erf([70.0, 70.0], 1400.0) == pytest.approx(0.1)
    with pytest.raises(ValidationError, match="more than 1"):
        SupplyMix(contracts=(mix.contracts[0], mix.contracts[0], mix.contracts[0]))


def test_erf_from_a_metered_heat_reuse_meter_worked_example() -> None:
    """ISO/IEC 30134-6: ERF = reused energy / E_DC. The heat meter's kWh stay out of E_DC,
    E_IT and the energy totals; it misses 24 h, so ERF is read over the hours it covers."""
    from collector.analysis.rollup import kwh_by_device, kwh_by_domain

    inv = Inventory(
        [
            *INV.devices.values(),
            Device(id="heat-1", kind="heat_reuse_meter", datacentre="dc1"),
        ]
    )
    assert inv.devices["heat-1"].pue_role == "reuse"  # from the kind, inside a datacentre
    assert not inv.counts_energy("heat-1") and inv.counts_energy("tgbt")
    q3 = period_of("quarter", date(2026, 8, 1), "Europe/Paris")
    gap = {q3.start + timedelta(days=40, hours=h) for h in range(24)}
    rows = quarter_rows(q3.start, q3.end)
    heat = [row("heat-1", r.hour, 9.0, 0.0 if r.hour in gap else 1.0) for r in rows[::3]]
    [dc] = pue_by_datacentre([*rows, *heat], inv, start=q3.start, end=q3.end)
    [plain] = pue_by_datacentre(rows, INV, start=q3.start, end=q3.end)
    # PUE unchanged: the reused heat is in neither side
    assert (dc.facility_kwh, dc.it_kwh, dc.pue) == (plain.facility_kwh, plain.it_kwh, plain.pue)
    # by hand: the 24 missing hours are 2026-08-09 22:00 to 08-10 21:00 UTC (local August,
    # 42 kWh/h), the facility meter's dropped hour (08-10 12:00) among them: 2207 matched
    # hours less 23, reused 2184 x 9 kWh, E_DC 99,318 less 23 x 42 kWh
    hours, facility = 2207 - 23, 99_318 - 23 * 42
    assert (hours * 9, facility) == (19_656, 98_352)
    assert dc.erf == pytest.approx(19_656 / 98_352, rel=1e-12)
    assert round(dc.erf or 0, 4) == 0.1999
    assert any("heat-1" in n and "2184 of 2207 h" in n for n in dc.notes)
    # and the heat meter's kWh count in no energy total
    domains = kwh_by_domain([*rows, *heat], inv)
    assert sum(d.kwh for d in domains) == pytest.approx(
        sum(d.kwh for d in kwh_by_domain(rows, INV))
    )
    assert "heat-1" not in {d.device_id for d in kwh_by_device(heat, inv)}
    # without a heat meter ERF is not available, never 0
    assert plain.erf is None
