"""Dead letters on SQLite and a real PostgreSQL: first bytes kept, size recorded, own retention."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import insert

from collector.app import CollectorApp
from collector.cli import main
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.ledger import tables as t
from collector.ledger.migrate import alembic_config, upgrade
from loopback.servers import _Postgres

T0 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
TOPIC = "veille/v1/s/pc-1/telemetry"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'l.sqlite'}"
    pg: _Postgres = request.getfixturevalue("postgres")
    return pg.create_database(f"dead_{abs(hash(request.node.name)) % 10**8}")


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    led = Ledger(url, dead_letter_payload_bytes=256)
    led.migrate()
    yield led
    led.close()


def test_a_large_payload_keeps_its_first_bytes_and_its_size(ledger: Ledger) -> None:
    payload = b"{" + b"x" * 1_048_574 + b"}"
    ledger.dead_letter(TOPIC, "payload of 1048576 bytes exceeds 1000", payload, T0)
    (dead,) = ledger.dead_letters()
    assert dead.payload == payload[:256]
    assert dead.payload_bytes == 1_048_576 and dead.truncated


def test_a_small_payload_is_kept_whole(ledger: Ledger) -> None:
    ledger.dead_letter(TOPIC, "not JSON", b"\xff\x00raw", T0)
    (dead,) = ledger.dead_letters()
    assert dead.payload == b"\xff\x00raw" and dead.payload_bytes == 5 and not dead.truncated


def test_dead_letters_expire_on_their_own_clock(ledger: Ledger) -> None:
    for days in (40, 31, 29, 1):
        ledger.dead_letter(TOPIC, f"{days} days old", b"{}", T0 - timedelta(days=days))
    assert ledger.expire_dead_letters(T0 - timedelta(days=30)) == 2
    assert sorted(d.reason for d in ledger.dead_letters()) == ["1 days old", "29 days old"]


def test_rows_from_before_0005_read_as_kept_whole(url: str) -> None:
    led = Ledger(url)
    before = ScriptDirectory.from_config(alembic_config(led.engine)).get_revision(
        "0005_dead_letter_size"
    )
    assert before is not None and isinstance(before.down_revision, str)
    upgrade(led.engine, before.down_revision)
    with led.engine.begin() as conn:
        # the columns before revision 0005: no payload_bytes yet
        conn.execute(
            insert(t.dead_letters).values(received_at=T0, topic=TOPIC, reason="old", payload=b"abc")
        )
    led.migrate()
    (dead,) = led.dead_letters()
    assert dead.payload_bytes == 3 and not dead.truncated
    led.close()


def test_collector_expiry_uses_retention_dead_letter_days(tmp_path: Path) -> None:
    cfg = CollectorConfig.model_validate(
        {
            "ledger": {"url": f"sqlite:///{tmp_path / 'l.sqlite'}"},
            "retention": {"dead_letter_days": 7},
        }
    )
    app = CollectorApp(cfg, Inventory([]))
    app.ledger.migrate()
    now = datetime.now(UTC)
    app.ledger.dead_letter(TOPIC, "old", b"{}", now - timedelta(days=8))
    app.ledger.dead_letter(TOPIC, "recent", b"{}", now - timedelta(days=6))
    app.expire()
    assert [d.reason for d in app.ledger.dead_letters()] == ["recent"]
    app.ledger.close()


def test_dead_letters_command_says_what_was_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "l.sqlite"
    config = tmp_path / "collector.toml"
    config.write_text(
        f'[ledger]\nurl = "sqlite:///{db}"\n[retention]\ndead_letter_payload_bytes = 300\n'
    )
    led = Ledger(f"sqlite:///{db}", dead_letter_payload_bytes=300)
    led.migrate()
    led.dead_letter(TOPIC, "too large", b"y" * 5000, T0)
    led.close()
    assert main(["dead-letters", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "reason: too large" in out and "payload (5000 bytes, first 300 kept)" in out


def test_dead_letters_json_gives_the_size_as_received(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "l.sqlite"
    config = tmp_path / "collector.toml"
    config.write_text(f'[ledger]\nurl = "sqlite:///{db}"\n')
    led = Ledger(f"sqlite:///{db}", dead_letter_payload_bytes=256)
    led.migrate()
    led.dead_letter(TOPIC, "too large", b"z" * 1000, T0)
    led.close()
    assert main(["dead-letters", "-c", str(config), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["payload_bytes"] == 1000 and row["truncated"] is True
    assert row["payload"] == "z" * 256
