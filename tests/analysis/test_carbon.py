"""Carbon: location- and market-based side by side (GHG Protocol scope 2)."""

from __future__ import annotations

import pytest

from collector.analysis.carbon import emissions
from collector.config import CarbonSettings, EmissionFactor


def test_60_g_and_31_g_side_by_side() -> None:
    figures = emissions(1_000.0, CarbonSettings().factors)
    assert [(f.name, f.method, f.g_per_kwh, f.year) for f in figures] == [
        ("grid_fr", "location", 60, 2021),
        ("green_contract", "market", 31, 2021),
    ]
    assert [f.kg_co2e for f in figures] == pytest.approx([60.0, 31.0])
    assert "contrat vert" in figures[1].source


def test_location_first_whatever_the_names() -> None:
    factors = {
        "a_contract": EmissionFactor(g_co2e_per_kwh=31, method="market", source="s", year=2021),
        "z_grid": EmissionFactor(g_co2e_per_kwh=60, method="location", source="s", year=2021),
    }
    assert [f.name for f in emissions(2.5, factors)] == ["z_grid", "a_contract"]
    assert [f.kg_co2e for f in emissions(2.5, factors)] == pytest.approx([0.15, 0.0775])
    with pytest.raises(ValueError):
        emissions(-1.0, factors)
