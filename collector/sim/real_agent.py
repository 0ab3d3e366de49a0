"""The demo's agents on the wire: the real agent reading this machine's sources, and raw
(malformed) payloads, both published to the demo's embedded broker on 127.0.0.1.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from agent.config import AgentMqtt


class RealAgent:
    """The real agent, reading this machine's sources, publishing to the demo's broker."""

    def __init__(self, port: int, spool_path: Path, interval_seconds: float = 5.0) -> None:
        from agent.config import AgentConfig, SpoolSettings
        from agent.runner import Agent
        from agent.wiring import build_publisher, build_readers

        self.config = AgentConfig(
            site="demo",
            interval_seconds=interval_seconds,
            mqtt=AgentMqtt(host="127.0.0.1", port=port),
            spool=SpoolSettings(path=spool_path),
        )
        self.publisher = build_publisher(self.config)
        state, sources = build_readers(self.config, self.publisher)
        self.agent = Agent(self.config, sources, state, self.publisher)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.agent.run_forever, args=(self._stop,), name="real-agent", daemon=True
        )

    def start(self) -> None:
        self.publisher.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)
        self.publisher.drain(5)
        self.publisher.stop(graceful=True)
        self.publisher.spool.close()


def start_real_agent(port: int, spool_path: Path) -> RealAgent | None:
    try:
        real = RealAgent(port, spool_path)
        real.start()
    except Exception as exc:  # the demo goes on without it, and says why
        print(f"             real agent not started: {exc}", file=sys.stderr)
        return None
    print(f"             real agent on this machine: device {real.config.device_id}", flush=True)
    return real


def publish_raw(port: int, topic_name: str, payload: bytes) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="veille-demo-malformed")
    c.connect("127.0.0.1", port)
    c.loop_start()
    c.publish(topic_name, payload, qos=1).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()
