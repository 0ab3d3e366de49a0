"""The collector service: wires broker, ingestion, SNMP polling, sinks, analysis and /metrics.

Threads: the MQTT client's loop, one ingest worker, one asyncio loop for SNMP rounds (run by
apscheduler), and an apscheduler background scheduler for analysis and retention jobs.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.background import BackgroundScheduler

from collector import redact
from collector.broker import EmbeddedBroker
from collector.config import CollectorConfig, SnmpTarget, load_config
from collector.ingest.mqtt import MqttIngest
from collector.ingest.pipeline import Ingestor
from collector.ingest.signature import DeviceKeys
from collector.ingest.validate import Limits
from collector.inventory import Inventory, load_inventory
from collector.ledger import Ledger
from collector.ledger.writer import LedgerWriter
from collector.metrics import CollectorMetrics
from collector.model import Sample
from collector.startup import check_startup

if TYPE_CHECKING:
    from collector.alerts.service import AlertService
    from collector.sinks.timeseries import TimeseriesSink
    from collector.snmp.profiles import Profile

log = logging.getLogger(__name__)


class CollectorApp:
    """One collector process. ``start()`` raises clear errors; ``stop()`` is idempotent."""

    def __init__(
        self,
        cfg: CollectorConfig,
        inventory: Inventory | None = None,
        *,
        spool_dir: Path | None = None,
    ) -> None:
        self.cfg = cfg
        self.inventory = inventory if inventory is not None else load_inventory(cfg.inventory)
        self.metrics = CollectorMetrics()
        self.ledger = Ledger(
            cfg.ledger.url, dead_letter_payload_bytes=cfg.retention.dead_letter_payload_bytes
        )
        if spool_dir is not None:  # the demo and tests keep their spool in their own folder
            cfg = cfg.model_copy(
                update={"timeseries": cfg.timeseries.model_copy(update={"spool_dir": spool_dir})}
            )
            self.cfg = cfg
        self.broker: EmbeddedBroker | None = None
        self.sink: TimeseriesSink | None = None
        self.ingestor: Ingestor | None = None
        self.writer: LedgerWriter | None = None  # ledger.writer_process
        self.mqtt: MqttIngest | None = None
        self.metrics_port: int | None = None
        self.mqtt_port = cfg.mqtt.port
        self.poller: Any = None
        self.profiles: dict[str, Profile] = {}
        self._snmp_loop: asyncio.AbstractEventLoop | None = None
        self._snmp_thread: threading.Thread | None = None
        self._jobs = BackgroundScheduler(timezone=UTC)
        self.alerts: AlertService | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, *, jobs: bool = True) -> None:
        cfg = self.cfg
        # A batch keeps hundreds of thousands of small objects alive; with the default
        # thresholds Python runs full collections over them again and again (a quarter of the
        # ingest time under load, bench/README.md).
        gc.set_threshold(50_000, 20, 100)
        self.profiles = check_startup(cfg, self.inventory)  # refuses a config that cannot work
        self.ledger.migrate()
        self.start_alerts()
        if cfg.mqtt.embedded:
            self.broker = EmbeddedBroker(cfg.mqtt.host, cfg.mqtt.port)
            self.broker.start()
            self.mqtt_port = self.broker.port
        if cfg.metrics.enabled:
            self.metrics_port = self.metrics.serve(cfg.metrics.host, cfg.metrics.port)
        if cfg.timeseries.url:
            from collector.sinks.timeseries import TimeseriesSink

            self.sink = TimeseriesSink(cfg.timeseries, tags_for=self.tags_for)
            self.metrics.watch_sink(self.sink.stats)
        if cfg.ledger.writer_process:
            window = cfg.mqtt.receive_maximum
            if cfg.mqtt.protocol == "5" and window < 3 * cfg.ledger.batch_messages:
                log.warning(
                    "mqtt.receive_maximum %d holds fewer than three batches of "
                    "ledger.batch_messages %d: the ledger writer process will wait for the "
                    "broker (README, 'Scaling out')",
                    window,
                    cfg.ledger.batch_messages,
                )
            self.writer = LedgerWriter(
                cfg.ledger.url,
                dead_letter_payload_bytes=cfg.retention.dead_letter_payload_bytes,
            )
            self.writer.start()
        self.ingestor = Ingestor(
            self.writer or self.ledger,
            self.metrics,
            sink=self.sink,
            kind_of=self.kind_of,
            batch_size=cfg.ledger.batch_messages,
            limits=Limits(
                max_payload_bytes=cfg.mqtt.max_payload_bytes,
                max_clock_skew=timedelta(seconds=cfg.mqtt.max_clock_skew_seconds),
                max_backlog=timedelta(days=cfg.mqtt.max_backlog_days),
                signing_keys=(
                    DeviceKeys(cfg.mqtt.signing_keys_dir) if cfg.mqtt.signing_keys_dir else None
                ),
            ),
        )
        self.ingestor.start()
        self.mqtt = MqttIngest(cfg.mqtt, self.ingestor, port=self.mqtt_port)
        self.mqtt.start()
        if cfg.snmp.targets:
            self.start_snmp(cfg.snmp.targets)
        if jobs:
            self.start_jobs()

    def start_jobs(self) -> None:
        """Recompute kWh and violations every ``analysis.interval_seconds``; expire daily."""
        self._jobs.add_job(
            self.recompute,
            "interval",
            seconds=self.cfg.analysis.interval_seconds,
            max_instances=1,
            next_run_time=datetime.now(UTC) + timedelta(seconds=5),
        )
        self._jobs.add_job(self.expire, "interval", hours=24, max_instances=1)
        if self.alerts is not None:
            self.alerts.schedule(self._jobs)
        if self.cfg.reports.scheduled:
            hh, mm = self.cfg.reports.run_at.split(":")
            self._jobs.add_job(
                self.write_due_reports,
                "cron",
                month="1,4,7,10",
                day=1,
                hour=int(hh),
                minute=int(mm),
                timezone=self.cfg.policy.timezone,
                max_instances=1,
                id="reports",
            )
        self._jobs.start()

    def start_alerts(self) -> None:
        """Start the alert dispatcher: one worker per channel of ``[alerts]``."""
        from collector.alerts.service import AlertService
        from collector.alerts.wiring import build_dispatcher

        dispatcher = build_dispatcher(self.cfg, self.metrics.registry, self.ledger.engine)
        self.alerts = AlertService(self.cfg, self.ledger, self.inventory, dispatcher)
        self.alerts.start()

    def start_snmp(self, targets: Sequence[SnmpTarget]) -> None:
        """Poll ``targets`` on the configured interval, on an asyncio loop of their own."""
        from collector.snmp.poller import SnmpPoller

        settings = self.cfg.snmp.model_copy(update={"targets": list(targets)})
        self.poller = SnmpPoller(settings, self.on_snmp_samples, profiles=self.profiles or None)
        poller = self.poller
        self.metrics.watch_snmp(poller.stats)
        loop = asyncio.new_event_loop()
        self._snmp_loop = loop
        scheduler = AsyncIOScheduler(event_loop=loop, timezone=UTC)
        self.poller.schedule(scheduler)

        def _run() -> None:
            asyncio.set_event_loop(loop)
            scheduler.start()
            loop.run_forever()
            scheduler.shutdown(wait=False)

        self._snmp_thread = threading.Thread(target=_run, name="snmp", daemon=True)
        self._snmp_thread.start()

    def stop(self) -> None:
        if self._jobs.running:
            self._jobs.shutdown(wait=True)
        if self._snmp_loop is not None:
            self._snmp_loop.call_soon_threadsafe(self._snmp_loop.stop)
            if self._snmp_thread:
                self._snmp_thread.join(10)
            self._snmp_loop = None
        # Take no new message, store and acknowledge those in hand, then disconnect: a
        # graceful stop leaves nothing for the broker to send again.
        if self.mqtt is not None:
            self.mqtt.quiesce()
        if self.ingestor is not None:
            self.ingestor.stop()
            self.ingestor = None
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None
        if self.sink is not None:
            self.sink.close()
            self.sink = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.alerts is not None:
            self.alerts.stop()
            self.alerts = None
        self.ledger.close()

    # -- callbacks and jobs ---------------------------------------------------------------

    def on_snmp_samples(self, samples: list[Sample]) -> None:
        self.metrics.snmp_rounds.inc()
        self.ledger.write_samples(samples)
        self.metrics.readings.labels("snmp").inc(len(samples))
        if self.sink is not None:
            self.sink.write(samples)

    def kind_of(self, device_id: str) -> str | None:
        d = self.inventory.get(device_id)
        return d.kind if d else None

    def tags_for(self, device_id: str) -> dict[str, str]:
        d = self.inventory.get(device_id)
        if d is None:
            return {"domain": self.inventory.domain_of(device_id)}
        tags = {"domain": d.effective_domain, "kind": d.kind}
        if d.site:
            tags["site"] = d.site
        if d.datacentre:
            tags["datacentre"] = d.datacentre
        return tags

    def recompute(self, now: datetime | None = None) -> None:
        from collector.jobs import recompute

        now = now or datetime.now(UTC)
        start = now - timedelta(hours=self.cfg.analysis.lookback_hours)
        job = recompute(self.ledger, self.inventory, self.cfg, start=start, end=now, now=now)
        if self.alerts is not None:
            self.alerts.on_analysis(job.events, now, job.config_events)
        self.refresh_figures(now)

    def refresh_figures(self, now: datetime | None = None) -> None:
        """Export the analysis' latest figures on /metrics (PUE, kWh per domain, ...)."""
        from collector.figures import compute_figures

        now = now or datetime.now(UTC)
        figures = compute_figures(self.ledger, self.inventory, self.cfg, now=now)
        self.metrics.figures.set(figures)

    def write_due_reports(self, now: datetime | None = None) -> list[Path]:
        """The quarterly (and on 1 January the yearly and public) reports that are due."""
        from collector.report.schedule import write_due_reports

        files = write_due_reports(self.ledger, self.inventory, self.cfg, now or datetime.now(UTC))
        log.info("reports: wrote %d files", len(files))
        return files

    def expire(self) -> None:
        now = datetime.now(UTC)
        raw, hourly = self.ledger.expire(
            now - timedelta(days=self.cfg.retention.raw_days),
            now - timedelta(days=self.cfg.retention.hourly_days),
        )
        dead = self.ledger.expire_dead_letters(
            now - timedelta(days=self.cfg.retention.dead_letter_days)
        )
        log.info(
            "retention: deleted %d raw rows, %d hourly rows and %d dead letters", raw, hourly, dead
        )
        history = self.ledger.expire_history(
            now - timedelta(days=self.cfg.retention.policy_days),
            (now - timedelta(days=self.cfg.retention.daily_days)).date(),
        )
        log.info("retention: deleted %s", history)
        from collector.alerts.delivered import DeliveryLog

        # Violations older than the lookback are never evaluated again: nothing to resend.
        gone = DeliveryLog(self.ledger.engine).prune(
            now - timedelta(days=self.cfg.retention.raw_days)
        )
        log.info("retention: deleted %d alert delivery records", gone)


def freeze_startup() -> None:
    """Move what start-up made (modules, models, SQLAlchemy's metadata: a few hundred thousand
    objects that live as long as the process) out of the garbage collector's sight, so that
    its full collections walk only what ingestion allocates."""
    gc.collect()
    gc.freeze()


def run_service(config: Path | None) -> int:
    """``veille-collector run``: start, then serve until SIGINT/SIGTERM."""
    root = logging.getLogger()
    if root.getEffectiveLevel() > logging.INFO:  # keep -v (DEBUG)
        root.setLevel(logging.INFO)
    cfg = load_config(config)
    redact.install(redact.model_secrets(cfg))
    app = CollectorApp(cfg)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    app.start()
    freeze_startup()
    log.info(
        "collector up: MQTT %s:%s, ledger %s, /metrics on %s",
        cfg.mqtt.host,
        app.mqtt_port,
        redact.mask_url(cfg.ledger.url),
        app.metrics_port,
    )
    try:
        stop.wait()
    finally:
        app.stop()
    return 0
