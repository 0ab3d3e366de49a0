"""What the fault tests share: messages as an agent sends them, a QoS 1 publisher that counts
what the broker acknowledged, a collector run as a real process, and the ledger read back.

Every test ends with :func:`assert_all_stored_once`: the ledger holds exactly the (device,
seq) pairs the broker acknowledged to the publisher, each with all its readings, once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, func, select

from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import tables as t
from contract.schema import Quality, Reading, Telemetry, topic
from loopback.servers import free_port

SITE = "mairie"


def payload(device: str, seq: int, readings: int = 10, at: datetime | None = None) -> bytes:
    """One telemetry message with ``readings`` power samples a second apart, ending at ``at``."""
    end = at or datetime.now(UTC)
    return Telemetry(
        device_id=device,
        seq=seq,
        sent_at=datetime.now(UTC),
        readings=[
            Reading(
                ts=end - timedelta(seconds=readings - 1 - i),
                metric="power_watts",
                value=float(seq % 97 + i),
                source="model",
                quality=Quality.ESTIMATED,
            )
            for i in range(readings)
        ],
    ).to_json()


class Publisher:
    """A paho client publishing at QoS 1 in a thread of its own; ``acked`` counts the
    messages the broker acknowledged (those it took responsibility for)."""

    def __init__(self, port: int, messages: Iterable[tuple[str, bytes]], name: str) -> None:
        self.messages = list(messages)
        self.acked = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name)
        self.client.max_inflight_messages_set(50)
        self.client.connect("127.0.0.1", port)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Publisher:
        self.client.loop_start()
        self.thread.start()
        return self

    def _run(self) -> None:
        infos = [self.client.publish(tp, p, qos=1) for tp, p in self.messages]
        for info in infos:
            info.wait_for_publish(60)
            self.acked += int(info.is_published())

    def join(self, timeout: float = 60) -> int:
        self.thread.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()
        return self.acked


def telemetry_messages(
    devices: int, per_device: int, readings: int = 10
) -> list[tuple[str, bytes]]:
    """``per_device`` messages from each of ``devices`` agents, interleaved as they arrive."""
    return [
        (topic(SITE, f"pc-{d}", "telemetry"), payload(f"pc-{d}", seq, readings))
        for seq in range(per_device)
        for d in range(devices)
    ]


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def ledger_counts(url: str) -> tuple[int, int]:
    """(messages, samples) in the ledger; (0, 0) while it does not exist yet."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            messages = conn.execute(select(func.count()).select_from(t.messages)).scalar_one()
            samples = conn.execute(select(func.count()).select_from(t.samples)).scalar_one()
            return int(messages), int(samples)
    except Exception:  # not created yet, or locked for a moment: count again later
        return (0, 0)
    finally:
        engine.dispose()


def keys_of(sent: Iterable[tuple[str, bytes]]) -> set[tuple[str, int]]:
    """The (device, seq) of each message."""
    return {(tp.split("/")[3], Telemetry.model_validate_json(p).seq) for tp, p in sent}


def assert_all_stored_once(
    url: str, expected: set[tuple[str, int]], readings: int, dead_letters: int = 0
) -> None:
    """Nothing lost, nothing twice: every (device, seq) expected is in the ledger once, with
    all of its ``readings`` once, and nothing else is (nor any other dead letter)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            keys = [(r.device_id, r.seq) for r in conn.execute(select(t.messages))]
            per_device: dict[str, int] = dict(
                conn.execute(
                    select(t.samples.c.device_id, func.count()).group_by(t.samples.c.device_id)
                ).all()
            )
            dead = conn.execute(select(func.count()).select_from(t.dead_letters)).scalar_one()
    finally:
        engine.dispose()
    assert len(keys) == len(set(keys)), "a message is in the ledger twice"
    missing = expected - set(keys)
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
    assert set(keys) == expected
    wanted: dict[str, int] = {}
    for device, _seq in expected:
        wanted[device] = wanted.get(device, 0) + readings
    assert per_device == wanted, "readings lost or stored twice"
    assert dead == dead_letters


def collector_toml(
    path: Path, *, port: int, ledger_url: str, client_id: str, writer_process: bool = False
) -> int:
    """A collector config for a process of its own; returns its /metrics port."""
    metrics = free_port()
    path.write_text(
        "[mqtt]\nembedded = false\n"
        f'port = {port}\nclient_id = "{client_id}"\n'
        f'[ledger]\nurl = "{ledger_url}"\nwriter_process = {str(writer_process).lower()}\n'
        f'[metrics]\nhost = "127.0.0.1"\nport = {metrics}\n'
        "[analysis]\ninterval_seconds = 3600\n"
    )
    return metrics


class CollectorProcess:
    """``veille-collector run -c FILE`` as a child process (stderr kept in a file)."""

    def __init__(self, config: Path, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self, timeout: float = 30) -> None:
        self.runs += 1
        log = self.workdir / f"collector-{self.runs}.log"
        exe = Path(sys.executable).with_name("veille-collector")
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(exe), "run", "-c", str(self.config)],
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        wait_for(lambda: "collector up" in self.log(), timeout, "the collector did not start")

    def log(self, run: int | None = None) -> str:
        path = self.workdir / f"collector-{run or self.runs}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last acknowledgement."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def sqlite_count(path: Path, table: str) -> int:
    """Rows in a table of a SQLite ledger, read-only (0 while it does not exist)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def in_process_collector(
    port: int, ledger_url: str, client_id: str, workdir: Path, **mqtt_: object
) -> CollectorApp:
    """A CollectorApp (no SNMP, no jobs, /metrics off) on an external broker."""
    cfg = CollectorConfig.model_validate(
        {
            "mqtt": {"embedded": False, "port": port, "client_id": client_id, **mqtt_},
            "ledger": {"url": ledger_url},
            "metrics": {"enabled": False},
        }
    )
    app = CollectorApp(cfg, Inventory([]), spool_dir=workdir / f"spool-{client_id}")
    app.start(jobs=False)
    return app
