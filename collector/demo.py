"""``veille-collector demo``: the whole pipeline on the embedded defaults, in about a minute.

1. builds a simulated fleet (workstations, servers, a datacentre, a PoE midspan), exports it as
   GLPI CSV files and imports them into its inventory (``collector.sim.glpi_out``);
2. serves the datacentre's PDUs, facility meter and PoE midspan over real SNMP on loopback,
   from recorded walks of real devices, with values driven by the simulation;
3. starts the collector: embedded MQTT broker, SQLite ledger, SNMP polling, /metrics;
4. replays a past week: the datacentre polled over real SNMP at simulated times (every 15
   minutes, as the agents), then each simulated agent's readings as its buffered backlog, over
   MQTT;
5. runs live for a while: simulated agents, SNMP polls, and one real agent reading this machine;
6. publishes malformed messages, which land in the dead-letter table with their reason;
7. computes hourly kWh, PUE, sleep and configuration violations and sends their alerts (to its
   own webhook receiver, SMTP server and, when installed, a real Alertmanager): twice, the
   morning after a simulated one-night violator stayed awake, then at the end, after it slept,
   so that the violation is seen opened and then resolved in each receiver
   (``collector.sim.violator``, ``collector.sim.demo_analysis``);
8. prints the summary and writes the reports (CSV and HTML, period and quarter; the footprint
   reports in footprint/) under demo-output/.
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.config import AgentMqtt
from agent.spool import Spool
from agent.transport import Publisher
from collector.app import CollectorApp
from collector.config import CollectorConfig
from collector.demo_reports import write_demo_reports
from collector.inventory import load_inventory
from collector.redact import mask_url
from collector.report import build_summary, render_text, write_reports
from collector.sim.agents import live, publish_history
from collector.sim.alert_receivers import AlertReceivers
from collector.sim.datacentre import SimDatacentre
from collector.sim.dc_history import replay_history
from collector.sim.demo_analysis import analyse
from collector.sim.fleet import Fleet, build_fleet
from collector.sim.glpi_out import import_from_glpi, plan_lines
from collector.sim.real_agent import publish_raw, start_real_agent
from collector.sim.violator import scenario as violator_scenario
from collector.sim.violator import with_violator
from contract import wire_read
from contract.schema import Reading, StateBlock, Telemetry

HISTORY = timedelta(days=7)


class Progress:
    """Numbered steps with elapsed time, on stdout, flushed at once."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.n = 0
        self.t0 = time.monotonic()
        self._last_detail = 0.0

    def step(self, text: str) -> None:
        self.n += 1
        print(f"[{self.n}/{self.steps} {time.monotonic() - self.t0:5.1f}s] {text}", flush=True)

    def detail(self, text: str, *, end: str = "\n") -> None:
        """A detail line; ``end="\\r"`` rewrites the line on a terminal, and is throttled
        to one line every 5 s elsewhere (a log file must not fill with counters)."""
        if end == "\r" and not sys.stdout.isatty():
            now = time.monotonic()
            if now - self._last_detail < 5:
                return
            self._last_detail, end = now, "\n"
        print(f"             {text}", end=end, flush=True)


def _demo_config(
    output: Path, alerts: dict[str, object], timeseries_url: str | None, metrics_port: int
) -> CollectorConfig:
    return CollectorConfig.model_validate(
        {
            "alerts": alerts,
            "inventory": str(output / "inventory.toml"),
            "mqtt": {"embedded": True, "port": _free_port(), "client_id": "veille-demo"},
            "ledger": {"url": f"sqlite:///{output / 'veille-demo.sqlite'}"},
            "metrics": {"port": metrics_port},
            "snmp": {"interval_seconds": 5, "timeout_seconds": 1.0, "retries": 1},
            "timeseries": {"url": timeseries_url},
            # Nantes Métropole: half the servers' energy on a green contract (DOMAIN.md)
            # Nantes: half the servers' energy on a green supply contract (seeds/001)
            "carbon": {
                "contracts": [
                    {
                        "name": "contrat-vert",
                        "datacentres": ["dc-centre"],
                        "share": 0.5,
                        "renewable_share": 1.0,
                        "factor": "green_contract",
                        "source": "Nantes Métropole RNS 2021, contrat vert",
                        "year": 2021,
                    }
                ]
            },
        }
    )


def run_demo(
    *,
    output: Path,
    live_seconds: float,
    keep_running: bool,
    seed: int,
    timeseries_url: str | None = None,
    metrics_port: int = 0,
    replay: timedelta = HISTORY,
) -> int:
    """The demo; ``timeseries_url`` (e.g. VictoriaMetrics) also receives every reading, and
    ``metrics_port`` fixes the /metrics port, so a store can scrape the figures (dashboards);
    ``replay``: how much past is replayed (a week by default)."""
    from collector.sim.malformed import malformed_payloads
    from collector.snmp.responder import SnmpResponder

    progress = Progress(7)
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    now = datetime.now(UTC)

    progress.step(f"building the simulated fleet (seed {seed}), its inventory from GLPI")
    receivers = AlertReceivers(output)
    receivers.start()
    if receivers.alertmanager_note:
        progress.detail(receivers.alertmanager_note)
    cfg = _demo_config(output, receivers.config(), timeseries_url, metrics_port)
    scenario = violator_scenario(cfg, now, replay)
    fleet = build_fleet(seed)
    if scenario is not None:
        fleet = with_violator(fleet, scenario)
    plan = import_from_glpi(fleet, output, cfg)
    for line in plan_lines(plan):
        progress.detail(line)
    inventory = load_inventory(cfg.inventory)
    progress.detail(f"{len(inventory)} devices in {output / 'inventory.toml'}")

    progress.step("serving the datacentre over real SNMP on 127.0.0.1")
    responder = SnmpResponder()
    dc = SimDatacentre(fleet, responder)
    snmp_port = responder.start()
    targets = dc.snmp_targets(snmp_port)
    progress.detail(
        f"{len(targets)} SNMP devices on udp/127.0.0.1:{snmp_port}: "
        + ", ".join(t.device_id for t in targets)
    )

    progress.step("starting the collector (embedded MQTT broker, SQLite ledger, /metrics)")
    app = CollectorApp(cfg, inventory, spool_dir=output / "spool")
    app.start(jobs=False)
    progress.detail(
        f"MQTT 127.0.0.1:{app.mqtt_port}, /metrics http://127.0.0.1:"
        f"{app.metrics_port}/metrics, ledger {mask_url(cfg.ledger.url)}"
    )

    publishers: dict[str, Publisher] = {}
    try:
        progress.step(
            f"replaying the past {replay.total_seconds() / 86400:g} days: the datacentre "
            "polled over SNMP, the agents' buffered backlog over MQTT"
        )
        dc_week = replay_history(dc, targets, now - replay, now, app.on_snmp_samples)
        progress.detail(
            f"{dc_week.rounds} SNMP rounds of simulated time, {dc_week.samples} samples, "
            f"{dc_week.failures} failed polls"
        )
        dc.tick(now)
        app.start_snmp(targets)
        mqtt = AgentMqtt(host="127.0.0.1", port=app.mqtt_port)
        for dev in fleet.agents():
            spool = Spool(":memory:", max_messages=100_000, max_age_seconds=30 * 86400)
            publishers[dev.id] = Publisher(mqtt, site=dev.site, device_id=dev.id, spool=spool)
        total = publish_history(fleet, _on_agent_wire(publishers), now - replay, now)
        progress.detail(
            f"{total} messages queued in {len(publishers)} agents' spools; "
            "agents reconnect and send them in order"
        )
        for p in publishers.values():
            p.start()
        _wait_drained(publishers, app, progress, total)

        progress.step(
            f"running live for {live_seconds:.0f} s: simulated agents, SNMP polls "
            "and a real agent on this machine"
        )
        real = start_real_agent(app.mqtt_port, output / "agent-spool.sqlite")
        _live(fleet, dc, publishers, live_seconds, progress)
        for topic_name, payload, _why in malformed_payloads():
            publish_raw(app.mqtt_port, topic_name, payload)
        if real is not None:
            real.stop()
        for p in publishers.values():
            p.drain(10)
        assert app.ingestor is not None
        app.ingestor.wait_idle(30)

        progress.step("computing hourly kWh, PUE, sleep and configuration violations")
        end = datetime.now(UTC)
        analyse(
            app,
            inventory,
            cfg,
            receivers,
            end=end,
            replay=replay,
            scenario=scenario,
            violator=fleet.violator,
            say=progress.detail,
        )
        app.refresh_figures(end)  # the dashboards' figures, on /metrics

        progress.step(f"writing the reports under {output}/")
        summary = build_summary(app.ledger, inventory, cfg, start=end - replay, end=end)
        files = write_reports(
            app.ledger, inventory, cfg, start=end - replay, end=end, output=output, summary=summary
        )
        files += write_demo_reports(app.ledger, inventory, cfg, end, output)
        print()
        print(render_text(summary))
        print()
        for f in files:
            print(f"wrote {f}")
        if keep_running:
            app.start_jobs()  # kWh and violations keep being recomputed while it serves
            print(
                f"\nserving: MQTT 127.0.0.1:{app.mqtt_port}, /metrics on "
                f"http://127.0.0.1:{app.metrics_port}/metrics — Ctrl-C to stop",
                flush=True,
            )
            _live(fleet, dc, publishers, float("inf"), None)
        return 0
    finally:
        _stop_all(publishers)
        app.stop()
        responder.stop()
        receivers.stop()


def _stop_all(publishers: dict[str, Publisher]) -> None:
    """Stop the simulated agents together (each waits for its network thread)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda p: p.stop(graceful=True), publishers.values()))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_drained(
    publishers: dict[str, Publisher],
    app: CollectorApp,
    progress: Progress,
    total: int,
    timeout: float = 120.0,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = app.ledger.count("messages")
        progress.detail(f"stored {stored}/{total} messages", end="\r")
        if stored >= total:
            break
        time.sleep(0.5)
    if sys.stdout.isatty():
        print(flush=True)
    progress.detail(f"stored {app.ledger.count('messages')}/{total} messages")
    for p in publishers.values():
        p.drain(5)


class _AgentSubmitter:
    """A simulated device's messages (the schema's models) handed to the agent's publisher,
    which takes the agent's own dataclasses (contract/wire.py): through their JSON."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    def submit(
        self, readings: list[Reading], state: StateBlock | None = None, kind: str | None = None
    ) -> int:
        sent_at = readings[0].ts if readings else datetime.now(UTC)
        doc = Telemetry(
            device_id=self.publisher.device_id, seq=0, sent_at=sent_at, readings=readings,
            state=state,
        )  # fmt: skip
        msg = wire_read.telemetry_from_json(doc.to_json())
        return self.publisher.submit(msg.readings, msg.state, kind)


def _on_agent_wire(publishers: dict[str, Publisher]) -> dict[str, _AgentSubmitter]:
    return {device: _AgentSubmitter(p) for device, p in publishers.items()}


def _live(
    fleet: Fleet,
    dc: SimDatacentre,
    publishers: dict[str, Publisher],
    seconds: float,
    progress: Progress | None,
    tick: float = 5.0,
) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        now = datetime.now(UTC)
        dc.tick(now)
        submitters = _on_agent_wire(publishers)
        for msg in live(fleet, now):
            submitters[msg.device_id].submit(msg.readings, msg.state, msg.kind)
        if progress:
            progress.detail(f"live: {max(0.0, end - time.monotonic()):4.0f} s left", end="\r")
        time.sleep(min(tick, max(0.0, end - time.monotonic())))
    if progress and sys.stdout.isatty():
        print(flush=True)
