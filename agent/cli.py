"""``veille-agent``: ``run`` (the service), ``once`` (one message, printed, not sent), ``check``.

Exit status: 0 fine, 1 nothing to report (check) or a runtime failure, 2 configuration error
(each bad key named on stderr).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from agent import __version__
from contract.errors import ConfigError

if TYPE_CHECKING:
    from agent.settings import AgentConfig
    from contract.wire import Reading, StateBlock

log = logging.getLogger("agent")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="veille-agent", description=__doc__)
    p.add_argument("--version", action="version", version=f"veille-agent {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "report every interval to the MQTT broker until stopped"),
        ("once", "read everything once and print the message; nothing is sent"),
        ("check", "say which sources work here, and for the others why not and the fix"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("-c", "--config", type=Path, help="agent.toml (default: none)")
        cmd.add_argument("-v", "--verbose", action="store_true", help="debug logging")
        if name == "once":
            cmd.add_argument("--json", action="store_true", help="print the schema-v1 JSON")
    return p


def _once(config: AgentConfig, as_json: bool) -> int:
    from agent.runner import Agent
    from agent.wiring import build_readers

    state, sources = build_readers(config)
    agent = Agent(config, sources, state, None)
    msg = agent.run_once()
    if as_json:
        print(msg.to_json().decode())
        return 0
    print(f"device {msg.device_id} ({msg.kind})")
    for r in msg.readings:
        part = f"[{r.component}]" if r.component else ""
        print(f"  {r.metric}{part} = {r.value:g}  ({r.source}, {r.quality.value})")
    if msg.state:
        print(f"  state: {msg.state.to_json().decode()}")
    return 0


def _settle() -> None:
    """After the first round, when every lazy import is done: move what start-up made out of
    the garbage collector's sight (``gc.freeze``: it is never garbage, and scanning it every
    round costs CPU), and say at debug level which packages the service holds (the footprint
    test reads this line: pydantic must not be among them)."""
    import gc

    gc.collect()
    gc.freeze()
    if log.isEnabledFor(logging.DEBUG):
        top = sorted({name.partition(".")[0] for name in list(sys.modules)})
        log.debug("loaded packages: %s", " ".join(top))


def _run(config: AgentConfig) -> int:
    from agent.runner import Agent
    from agent.spool import SpoolError
    from agent.wake import system_waiter
    from agent.wiring import build_publisher, build_readers

    try:
        publisher = build_publisher(config)
    except SpoolError as exc:
        print(f"veille-agent: {exc} (set [spool] path in agent.toml)", file=sys.stderr)
        return 1
    metrics = None
    if config.metrics.enabled:
        from agent.metrics import MetricsServer

        metrics = MetricsServer(config.metrics.host, config.metrics.port)
        log.info("serving /metrics on %s:%s", metrics.host, metrics.port)
    state, sources = build_readers(config, publisher)
    settled = threading.Event()

    def on_collect(readings: list[Reading], block: StateBlock) -> None:
        if metrics:
            metrics.update(readings, block)
        if not settled.is_set():
            settled.set()
            _settle()

    agent = Agent(
        config,
        sources,
        state,
        publisher,
        on_collect=on_collect,
        waiter=system_waiter(),
    )
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        agent.wake()  # the loop sleeps until the next round otherwise

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    publisher.start()
    log.info(
        "veille-agent %s: device %s, site %s, every %g s to %s:%s",
        __version__,
        config.device_id,
        config.site,
        config.interval_seconds,
        config.mqtt.host,
        config.mqtt.port,
    )
    try:
        agent.run_forever(stop)
    finally:
        publisher.drain(timeout=2.0)
        publisher.stop(graceful=True)
        publisher.spool.close()
        if metrics:
            metrics.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quiet = logging.INFO if args.command == "run" else logging.ERROR  # check/once say it all
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else quiet,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("paho").setLevel(logging.WARNING)
    try:
        if args.command == "run":  # checked in a child process: no pydantic in the service
            from agent.settings import load_run_config

            config = load_run_config(args.config)
        else:
            from agent.config import load_agent_config

            config = load_agent_config(args.config)
    except ConfigError as exc:
        print(f"veille-agent: configuration error in {exc.source}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if args.command == "once":
        return _once(config, args.json)
    if args.command == "check":
        from agent.check import run_check

        return run_check(config, sys.stdout)
    return _run(config)


if __name__ == "__main__":
    sys.exit(main())
