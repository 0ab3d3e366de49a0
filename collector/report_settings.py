"""The ``[baseline]`` and ``[reports]`` sections of ``collector.toml`` (the footprint report).

``[baseline]``: the reference year ("T0") of the authority's footprint, kWh and tCO2e per
domain, entered here (``[baseline.domains."Environnement serveur"]``) or imported from a CSV
(``file``, columns ``domain,kwh,tco2e``; see :mod:`collector.report.baseline`), and the target:
``target_reduction`` (0.20 = -20 %) by ``target_year``.
``[reports]``: where the scheduler writes the quarterly and yearly reports, and how.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from contract.settings import Section

Format = Literal["csv", "json", "html"]
FORMATS: tuple[Format, ...] = ("csv", "json", "html")


class BaselineDomain(Section):
    kwh: float = Field(ge=0, description="kWh of the domain over the baseline year.")
    tco2e: float = Field(ge=0, description="t CO2e of the domain over the baseline year.")


class BaselineSettings(Section):
    year: int | None = Field(None, ge=2000, le=2100, description="The baseline year (T0).")
    source: str = Field("", description="Where the baseline figures come from.")
    domains: dict[str, BaselineDomain] = Field(default_factory=dict)
    file: Path | None = Field(None, description="CSV of domain,kwh,tco2e (instead of domains).")
    target_reduction: float = Field(0.20, gt=0, lt=1, description="0.20: -20 % of the baseline.")
    target_year: int = Field(2030, ge=2000, le=2100)

    @model_validator(mode="after")
    def _consistent(self) -> BaselineSettings:
        if self.domains and self.file is not None:
            raise ValueError("give domains or file, not both")
        if (self.domains or self.file is not None) and self.year is None:
            raise ValueError("year: the baseline year is needed with its figures")
        if self.year is not None and self.target_year <= self.year:
            raise ValueError("target_year must be after the baseline year")
        return self


class ReportSettings(Section):
    output: Path = Field(Path("reports"), description="Where the scheduler writes reports.")
    formats: list[Format] = Field(default_factory=lambda: list(FORMATS))
    lang: Literal["fr", "en"] = "fr"
    scheduled: bool = Field(True, description="Write each quarter's and year's report.")
    run_at: str = Field("02:00", description="Local time, the day after the period ends.")

    @field_validator("run_at")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        hh, _, mm = value.partition(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError("must be HH:MM")
        return value
