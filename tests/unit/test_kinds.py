"""One list of device kinds: a kind added in contract.kinds is seen by every part of veille."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.config import load_agent_config
from agent.sources.profiles import profile_for
from collector.analysis.pue import category_of
from collector.config import CollectorConfig
from collector.ingest.sleep_energy import sleep_samples
from collector.inventory import Device
from collector.jobs import policy_group_for
from collector.snmp.profiles import PROFILES_DIR, Profile
from contract import kinds
from contract.errors import ConfigError
from contract.kinds import KINDS, Kind, KindProfile
from contract.schema import SleptInterval

T0 = datetime(2026, 11, 17, 20, 0, tzinfo=UTC)


@pytest.fixture
def new_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two kinds that exist nowhere else: a staff badge terminal and a rack power meter."""
    terminal = KindProfile(idle_watts=9.0, max_watts=15.0, display_watts=2.0, source="test")
    monkeypatch.setitem(
        KINDS,
        "badge_terminal",
        Kind(
            "badge_terminal",
            "Services transverses",
            workstation=True,
            exempt_by_default=False,
            agent=True,
            sleep_watts=0.7,
            profile=terminal,
        ),
    )
    monkeypatch.setitem(
        KINDS,
        "rack_meter",
        Kind("rack_meter", "Environnement serveur", pue_role="it", pue_category=2, snmp=True),
    )


@pytest.mark.usefixtures("new_kinds")
def test_a_new_kind_is_one_entry() -> None:
    # the inventory takes it, with its domain and, inside a datacentre, its PUE role
    terminal = Device(id="bt-1", kind="badge_terminal")
    meter = Device(id="rm-1", kind="rack_meter", datacentre="dc-1")
    assert terminal.effective_domain == "Services transverses"
    assert (terminal.pue_role, meter.pue_role) == ("none", "it")
    assert Device(id="rm-2", kind="rack_meter").pue_role == "none"  # outside a datacentre
    # the sleep policy checks it by default, and its sleep power fills slept intervals
    assert policy_group_for(None, "badge_terminal", CollectorConfig()) is not None
    assert policy_group_for(None, "rack_meter", CollectorConfig()) is None
    (sample, *_) = sleep_samples(
        "bt-1", [SleptInterval(start=T0, end=T0 + timedelta(hours=1))], "badge_terminal"
    )
    assert sample.value == 0.7
    # the agent runs on it with its power profile; the collector polls the other over SNMP
    assert load_agent_config(None, kind="badge_terminal").kind == "badge_terminal"
    assert profile_for("badge_terminal").idle_watts == 9.0
    with pytest.raises(ConfigError, match="unknown kind 'rack_meter' for an agent"):
        load_agent_config(None, kind="rack_meter")
    profile = tomllib.loads((PROFILES_DIR / "ups_mib.toml").read_text(encoding="utf-8"))
    assert Profile.model_validate({**profile, "kind": "rack_meter"}).kind == "rack_meter"
    with pytest.raises(ValueError, match="for SNMP"):
        Profile.model_validate({**profile, "kind": "badge_terminal"})
    # PUE labels IT energy by the kind's measurement category
    assert category_of([meter])[0] == "category 2 (PDU output)"
    assert "rack_meter" in kinds.names(snmp=True)


def test_unknown_kinds_are_refused_naming_the_list() -> None:
    with pytest.raises(ValueError, match="unknown kind 'toaster'; one of desktop, laptop"):
        Device(id="x", kind="toaster")


def test_every_shipped_profile_names_a_kind_polled_over_snmp() -> None:
    for path in sorted(Path(PROFILES_DIR).glob("*.toml")):
        kind = tomllib.loads(path.read_text(encoding="utf-8"))["kind"]
        assert KINDS[kind].snmp, path.name


def test_the_readme_table_lists_every_kind_as_the_code_has_it() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`") and cells[0].strip("`") in KINDS:
            rows[cells[0].strip("`")] = cells
    assert list(rows) == list(KINDS)
    for name, (_k, domain, policy, dc, _where, asleep) in rows.items():
        kind = KINDS[name]
        assert domain == (kind.domain or "*Non affecté*"), name
        assert policy.startswith("yes") == kind.sleep_policy_by_default, name
        assert (f"category {kind.pue_category}" in dc) == (kind.pue_role == "it"), name
        assert asleep == (f"{kind.sleep_watts:g} W" if kind.sleep_watts else "–"), name
