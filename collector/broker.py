"""The embedded MQTT broker (amqtt, MQTT 3.1.1 only) for the quickstart and the demo.

Production uses Mosquitto, EMQX or VerneMQ; this broker exists so that ``make demo`` needs no
server. It runs in its own thread with its own asyncio loop and listens on loopback only.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

from amqtt.broker import Broker


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not start."""


class _LateAcks(logging.Filter):
    """Counts, instead of printing, amqtt's traceback for each delivery whose PUBACK came after
    its fixed 5 s wait. The collector acknowledges a message only once it is committed, so
    during a burst (the demo's week of backlog) acknowledgements can take longer than amqtt's
    hard-coded wait. The message itself was already sent to the collector, which stores and
    acknowledges it; amqtt only gives up waiting and would not resend it after a crash, one
    reason production uses Mosquitto. One line at shutdown says how many."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TimeoutError) and "PUBACK" in str(exc):
            self.count += 1
            return False
        return True


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class EmbeddedBroker:
    """An amqtt broker on ``host:port`` (port 0 picks a free one) in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="mqtt-broker", daemon=True
        )
        self._broker: Broker | None = None
        self._late_acks = _LateAcks()

    def _config(self) -> dict[str, Any]:
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker and wait until it accepts connections."""
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.ERROR)  # shutdown chatter is not news
        logging.getLogger("amqtt.broker").addFilter(self._late_acks)
        self._thread.start()

        async def _start() -> Broker:
            broker = Broker(self._config())
            await broker.start()
            return broker

        try:
            self._broker = asyncio.run_coroutine_threadsafe(_start(), self._loop).result(timeout)
        except Exception as exc:
            raise EmbeddedBrokerError(
                f"embedded MQTT broker could not listen on {self.host}:{self.port}: {exc}"
            ) from exc

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the broker down and stop its thread."""
        if self._broker is not None:
            fut = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                fut.result(timeout)
            except Exception:
                logging.getLogger(__name__).debug("broker shutdown error", exc_info=True)
            self._broker = None
        logging.getLogger("amqtt.broker").removeFilter(self._late_acks)
        if self._late_acks.count:
            logging.getLogger(__name__).warning(
                "embedded broker: %d deliveries were acknowledged by the collector after amqtt's "
                "fixed 5 s wait (acknowledged once committed, during a burst); they were "
                "delivered, but amqtt would not have resent them after a crash: use Mosquitto "
                "in production",
                self._late_acks.count,
            )
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
