"""Builds the agent's parts from its configuration: sources, state reader, publisher.

The one place that knows which OS paths and commands each part gets. ``sources = None`` in
the config means every power source that can exist here, best first (RAPL, IPMI, battery,
then the model as the fallback); uptime and the agent's own footprint are always read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from agent.commands import CommandRunner, run_command
from agent.settings import AgentConfig
from agent.sources import SOURCES, Source
from agent.sources.battery import BatterySource, PowerSupplies
from agent.sources.footprint import FootprintSource
from agent.sources.ipmi import IpmiSource
from agent.sources.model import ModelSource
from agent.sources.rapl import RaplSource
from agent.sources.system import SystemSource
from agent.spool import Spool
from agent.state.probes import drm_display_on, linux_state, windows_state
from agent.state.reader import HostState, display_on_from_state
from agent.state.sleepdetect import SleepDetector, system_clocks
from agent.transport import Publisher


def default_source_names(config: AgentConfig) -> list[str]:
    """Every power source worth trying on this OS, best first."""
    if sys.platform.startswith("linux"):
        names = ["rapl", "ipmi", "battery", "model"]
    else:
        names = ["model"]
    return [n for n in names if n in SOURCES]


def build_state(
    config: AgentConfig,
    run: CommandRunner = run_command,
    supplies: PowerSupplies | None = None,
) -> HostState:
    """The host-state reader of this OS (``supplies``: shared with the battery source)."""
    clocks = system_clocks()
    detector = SleepDetector(clocks) if clocks else None
    if sys.platform == "win32":
        return windows_state(
            run, details=config.blocker_details, idle_dir=config.idle_dir, detector=detector
        )
    return linux_state(
        run,
        details=config.blocker_details,
        sysfs_root=config.sysfs_root,
        detector=detector,
        supplies=supplies,
    )


def build_power_sources(
    config: AgentConfig,
    display_on: Callable[[], bool | None],
    run: CommandRunner = run_command,
    supplies: PowerSupplies | None = None,
) -> dict[str, Source]:
    """The configured (or default) power sources, in order."""
    sysfs = config.sysfs_root
    factories: dict[str, Callable[[], Source]] = {
        "rapl": lambda: RaplSource(sysfs / "class" / "powercap"),
        "ipmi": lambda: IpmiSource(run),
        "battery": lambda: BatterySource(sysfs / "class" / "power_supply", supplies),
        "model": lambda: ModelSource(config.kind, config.profile, display_on=display_on),
    }
    names = config.sources if config.sources is not None else default_source_names(config)
    return {name: factories[name]() for name in names}


def build_sources(
    config: AgentConfig,
    state: HostState,
    publisher: Publisher | None = None,
    run: CommandRunner = run_command,
    supplies: PowerSupplies | None = None,
) -> dict[str, Source]:
    """Power sources, then uptime (``os``) and the agent's footprint (``self``)."""
    drm = config.sysfs_root / "class" / "drm"

    def display_on() -> bool | None:
        seen = drm_display_on(drm) if sys.platform.startswith("linux") else None
        return seen if seen is not None else display_on_from_state(state.last)

    sources = build_power_sources(config, display_on, run, supplies)
    sources["os"] = SystemSource()

    def sent() -> int:
        return publisher.bytes_sent_total if publisher else 0

    def dropped() -> Mapping[str, int]:
        return publisher.spool.dropped_total if publisher else {}

    sources["self"] = FootprintSource(sent, dropped)
    return sources


def build_readers(
    config: AgentConfig, publisher: Publisher | None = None, run: CommandRunner = run_command
) -> tuple[HostState, dict[str, Source]]:
    """The state reader and the sources of a running agent, sharing one scan of the power
    supplies a round (the battery's draw and "on battery" come from the same read)."""
    supplies = PowerSupplies(config.sysfs_root / "class" / "power_supply")
    state = build_state(config, run, supplies)
    return state, build_sources(config, state, publisher, run, supplies)


def build_publisher(config: AgentConfig) -> Publisher:
    spool = Spool(
        config.spool.path,
        max_messages=config.spool.max_messages,
        max_age_seconds=config.spool.max_age_days * 86400,
    )
    key = config.signing.key
    return Publisher(
        config.mqtt,
        site=config.site,
        device_id=config.device_id,
        spool=spool,
        signing_key=key.get_secret_value().encode() if key is not None else None,
    )
