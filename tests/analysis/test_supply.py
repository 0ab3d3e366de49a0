"""Supply contracts ([[carbon.contracts]]) applied to the datacentres' figures: REF, market-based
CUE and location- and market-based carbon side by side, worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.analysis.pue import PueResult
from collector.analysis.supply import with_contracts
from collector.config import CarbonSettings, load_config
from collector.inventory import Device, Inventory
from contract.settings import ConfigError

START, END = datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
INV = Inventory(
    [
        Device(id="m-1", kind="facility_meter", datacentre="dc-centre", site="beaulieu"),
        Device(id="m-2", kind="facility_meter", datacentre="dc-nord", site="chantenay"),
    ]
)


def _result(dc: str, fac: float = 1000.0, it: float = 800.0) -> PueResult:
    return PueResult(dc, START, END, fac, it, fac / it, "category 2 (PDU output)", True, 1.0,
                     None, {})  # fmt: skip


def _carbon(toml: str, tmp_path: Path) -> CarbonSettings:
    path = tmp_path / "collector.toml"
    path.write_text(toml, encoding="utf-8")
    return load_config(path).carbon


NANTES = """
[[carbon.contracts]]
name = "contrat-vert"
datacentres = ["dc-centre"]
share = 0.5
renewable_share = 1.0
factor = "green_contract"
source = "Nantes Métropole RNS 2021, contrat vert"
year = 2021
"""


def test_half_on_a_green_contract_nantes(tmp_path: Path) -> None:
    carbon = _carbon(NANTES, tmp_path)
    centre, nord = with_contracts([_result("dc-centre"), _result("dc-nord")], INV, carbon)
    assert centre.ref == pytest.approx(0.5)
    assert centre.co2e_location_kg == pytest.approx(60.0)  # 1000 kWh x 60 g (grid_fr)
    assert centre.co2e_market_kg == pytest.approx(45.5)  # 500 x 31 g + 500 x 60 g (residual)
    assert centre.cue_market_kg_per_kwh == pytest.approx(45.5 / 800)
    assert centre.contracts == ("contrat-vert",)
    assert any("contrat-vert (Nantes Métropole RNS 2021, contrat vert, 2021)" in n
               for n in centre.notes)  # fmt: skip
    # no contract: REF unknown (never 0), market-based all at the residual factor, said so
    assert nord.ref is None and nord.contracts == ()
    assert nord.co2e_market_kg == pytest.approx(60.0)
    assert "market-based: no supply contract, all at the residual factor grid_fr" in nord.notes


def test_a_site_contract_reaches_the_datacentres_on_that_site(tmp_path: Path) -> None:
    carbon = _carbon(
        '[[carbon.contracts]]\nname = "site-chantenay"\nsites = ["chantenay"]\n'
        'renewable_share = 0.2\ng_co2e_per_kwh = 50\nsource = "fournisseur"\nyear = 2026\n',
        tmp_path,
    )
    centre, nord = with_contracts([_result("dc-centre"), _result("dc-nord")], INV, carbon)
    assert nord.ref == pytest.approx(0.2) and nord.co2e_market_kg == pytest.approx(50.0)
    assert centre.ref is None


def test_contracts_are_checked_whole_at_load(tmp_path: Path) -> None:
    bad = (
        '[[carbon.contracts]]\nname = "a"\ndatacentres = ["dc"]\nshare = 0.7\n'
        'renewable_share = 1\nfactor = "nope"\nsource = "s"\nyear = 2026\n'
        '[[carbon.contracts]]\nname = "b"\ndatacentres = ["dc"]\nshare = 0.6\n'
        'renewable_share = 1\ng_co2e_per_kwh = 20\nsource = "s"\nyear = 2026\n'
        '[[carbon.contracts]]\nname = "c"\nrenewable_share = 1\ng_co2e_per_kwh = 20\n'
        'factor = "grid_fr"\nsource = "s"\nyear = 2026\n'
    )
    with pytest.raises(ConfigError) as info:
        _carbon(bad, tmp_path)
    text = "\n".join(info.value.problems)
    assert "c: say what it supplies: datacentres or sites" in text
    with pytest.raises(ConfigError) as info:
        _carbon(bad.split('[[carbon.contracts]]\nname = "c"')[0], tmp_path)
    text = "\n".join(info.value.problems)
    assert "contracts a: factor 'nope' not in carbon.factors" in text
    assert "the shares of dc add up to 1.3, more than 1" in text
