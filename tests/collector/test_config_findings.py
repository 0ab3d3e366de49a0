"""Settings and sleep states an agent reports reach the ledger and the configuration checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from agent.state import sleepstates, windows
from collector.analysis.config_policy import check_configuration
from collector.config import CollectorConfig, PolicyGroup, PolicySettings
from collector.config_review import review_configuration
from collector.inventory import Device, Exemption, Inventory
from collector.ledger import Ledger
from collector.ledger.migrate import alembic_config
from collector.ledger.store import Accepted
from collector.model import ExemptionRecord
from contract.schema import PowerState, SleepSettings, SleepStates, StateBlock, Telemetry
from tests.agent.conftest import fixture_text

AT = datetime(2026, 11, 17, 20, 0, tzinfo=UTC)


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    return sqlite_ledger  # SQLite only (tests/conftest.py)


def test_migration_0011_adds_sleep_states(ledger: Ledger) -> None:
    columns = {c["name"] for c in inspect(ledger.engine).get_columns("devices")}
    assert "sleep_states" in columns
    ledger.close()


def test_recorded_windows_machine_through_the_ledger(ledger: Ledger) -> None:
    user = windows.parse_reg_query(fixture_text("windows/reg_query_desktop_screensaver_on.txt"))
    settings = SleepSettings.model_validate_json(  # the agent's, through the wire
        windows.sleep_settings_from_powercfg(
            fixture_text("windows/powercfg_q_win11_fr.txt"), windows.screensaver_enabled(user)
        ).to_json()
    )
    states = SleepStates.model_validate_json(
        sleepstates.parse_powercfg_available(
            fixture_text("windows/powercfg_a_win11_fr_s0.txt")
        ).to_json()
    )
    block = StateBlock(power_state=PowerState.IDLE, sleep_settings=settings, sleep_states=states)
    msg = Telemetry(device_id="pc-fr", seq=1, sent_at=AT, state=block)
    # Through the wire: what the collector validates is the JSON the agent sends.
    ledger.store([Accepted(Telemetry.model_validate_json(msg.to_json()), "mairie", AT, 0.0)])
    old = Telemetry(device_id="pc-old", seq=1, sent_at=AT, state=StateBlock(power_state="idle"))
    ledger.store([Accepted(old, "mairie", AT, 0.0)])

    records = {d.device_id: d for d in ledger.devices()}
    rec = records["pc-fr"]
    assert rec.sleep_states == states and rec.sleep_settings == settings
    found = check_configuration(rec.device_id, rec.sleep_settings, rec.sleep_states, PolicyGroup())
    assert [(f.rule, f.outcome) for f in found] == [
        ("sleep_timeout", "violation"),  # hibernation after 2 h, sleep never
        ("screensaver", "violation"),
        ("cannot_sleep", "compliant"),
    ]
    older = records["pc-old"]
    assert older.sleep_states is None
    unknown = check_configuration("pc-old", older.sleep_settings, older.sleep_states, PolicyGroup())
    assert {f.outcome for f in unknown} == {"unknown"}
    ledger.close()


def test_review_applies_groups_kinds_and_exemptions(ledger: Ledger) -> None:
    four_hours = SleepSettings(sleep_ac_seconds=14400, screensaver_enabled=False)
    for seq, (device, kind) in enumerate(
        [("pc-a", "desktop"), ("pc-exempt", "desktop"), ("srv-1", "server"), ("hall-1", "kiosk")]
    ):
        block = StateBlock(power_state=PowerState.IDLE, sleep_settings=four_hours)
        msg = Telemetry(device_id=device, seq=seq, sent_at=AT, kind=kind, state=block)
        ledger.store([Accepted(msg, "mairie", AT, 0.0)])
    inv = Inventory(
        [
            Device(id="pc-a", kind="desktop", policy_group="strict"),
            Device(
                id="pc-exempt",
                kind="desktop",
                exemptions=(Exemption(reason="lab bench", until=date(2026, 12, 31)),),
            ),
            Device(id="srv-1", kind="server"),
        ]
    )
    cfg = CollectorConfig(
        policy=PolicySettings(
            groups={
                "workstations": PolicyGroup(),
                "strict": PolicyGroup(max_sleep_timeout_minutes=5),
            }
        )
    )
    found = review_configuration(ledger.devices(), inv, cfg, today=date(2026, 11, 17))
    assert {f.device_id for f in found} == {"pc-a"}  # exempt, server and kiosk left out
    (timeout,) = [f for f in found if f.rule == "sleep_timeout"]
    assert timeout.evidence == "sleep on AC after 4 h, longer than the maximum 5 min"
    later = review_configuration(ledger.devices(), inv, cfg, today=date(2027, 1, 1))
    assert {f.device_id for f in later} == {"pc-a", "pc-exempt"}  # the exemption expired
    ledger.add_exemption(
        ExemptionRecord("strict", True, date(2027, 1, 31), "migration week", "dsi", AT)
    )
    recorded = ledger.exemptions()
    exempted = review_configuration(
        ledger.devices(), inv, cfg, today=date(2027, 1, 1), recorded=recorded
    )
    assert {f.device_id for f in exempted} == {"pc-exempt"}  # pc-a's group is exempt
    ledger.close()


def test_migrations_form_one_line(ledger: Ledger) -> None:
    # Several branches each adding a revision after the same parent would give two heads,
    # and "upgrade head" would refuse to start.
    scripts = ScriptDirectory.from_config(alembic_config(ledger.engine))
    assert len(scripts.get_heads()) == 1
    ledger.close()
