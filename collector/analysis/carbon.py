"""Emissions of an energy, per emission factor (reads kWh and gCO2e/kWh, writes kgCO2e).

GHG Protocol scope 2 asks for both methods side by side: location-based (the grid average,
e.g. ADEME's French mix) and market-based (the supply contract, e.g. a green contract). Each
figure carries its factor's source and year so that a report can print them.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.config import EmissionFactor

#: Reports list location-based figures first, as the GHG Protocol presents them.
METHOD_ORDER = {"location": 0, "market": 1}


@dataclass(frozen=True, slots=True)
class CarbonFigure:
    """kg CO2e of an energy under one emission factor (``g_per_kwh`` in gCO2e/kWh)."""

    name: str
    method: str
    kg_co2e: float
    g_per_kwh: float
    source: str
    year: int


def emissions(kwh: float, factors: dict[str, EmissionFactor]) -> list[CarbonFigure]:
    """One figure per factor, location-based first, then by name. Raises on negative kWh."""
    if kwh < 0:
        raise ValueError("kwh must not be negative")
    return [
        CarbonFigure(
            name=name,
            method=f.method,
            kg_co2e=kwh * f.g_co2e_per_kwh / 1000.0,
            g_per_kwh=f.g_co2e_per_kwh,
            source=f.source,
            year=f.year,
        )
        for name, f in sorted(factors.items(), key=lambda i: (METHOD_ORDER[i[1].method], i[0]))
    ]
