"""``veille-agent check``: which sources and probes work here, and for the others why not + fix.

Reads every power source this OS can have (not only the configured ones), the state probes
and whether the broker's TCP port answers. Writes plain text lines; the exit status is 0 when
at least one power reading (measured or estimated) is available.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from typing import TextIO

from agent.commands import CommandRunner, run_command
from agent.settings import AgentConfig
from agent.sources import SourceUnavailable
from agent.state.reader import Guarded, HostState
from agent.wiring import build_power_sources, build_state, default_source_names

STATE_FIXES = {
    "idle": "needs systemd-logind (loginctl or busctl) on Linux; on Windows install "
    "deploy/windows/install-idle-helper.ps1 (GetLastInputInfo only works in the user's session)",
    "settings": "Linux: logind.conf and GNOME settings; Windows: powercfg must be on PATH",
    "blockers": "Linux: systemd-inhibit (systemd); Windows: run as an administrator or SYSTEM "
    "(powercfg /requests needs it)",
    "sleep_states": "Linux: /sys/power/state must be readable; Windows: powercfg must be on PATH",
}


def _tcp_reachable(host: str, port: int, timeout: float = 2.0) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return str(exc)


def run_check(
    config: AgentConfig,
    out: TextIO,
    *,
    run: CommandRunner = run_command,
    state: HostState | None = None,
    reachable: Callable[[str, int], str | None] = _tcp_reachable,
) -> int:
    """Print the report; 0 if some power reading is available, 1 otherwise."""
    state = state or build_state(config, run)
    block = state.read()
    names = sorted(set(default_source_names(config)) | set(config.sources or []))
    probe_config = dataclasses.replace(config, sources=names)
    sources = build_power_sources(probe_config, lambda: None, run)
    out.write(f"device_id {config.device_id}  site {config.site}  kind {config.kind}\n")
    working = 0
    for name, source in sources.items():
        try:
            readings = source.read()
        except SourceUnavailable as exc:
            out.write(f"[--] {name}: {exc.reason}\n")
            if exc.fix:
                out.write(f"     fix: {exc.fix}\n")
            continue
        except Exception as exc:  # a bug or an odd machine: say it, do not crash the check
            out.write(f"[!!] {name}: {type(exc).__name__}: {exc}\n")
            continue
        power = [r for r in readings if r.metric in ("power_watts", "energy_joules_total")]
        working += 1 if power or name == "battery" else 0
        shown = ", ".join(
            f"{r.metric}{'[' + r.component + ']' if r.component else ''}={r.value:g}"
            for r in readings[:4]
        )
        note = "" if readings else " (nothing to report right now, e.g. on AC power)"
        out.write(f"[ok] {name}: {shown or 'no reading'}{note}\n")
    for field in ("idle", "settings", "blockers", "sleep_states"):
        probe = getattr(state, field)
        error = probe.last_error if isinstance(probe, Guarded) else None
        if error:
            out.write(f"[--] state.{field}: {error}\n     fix: {STATE_FIXES[field]}\n")
        else:
            value = {
                "idle": block.idle_seconds,
                "settings": block.sleep_settings,
                "blockers": block.sleep_blockers if block.sleep_blockers_known else "unknown",
                "sleep_states": block.sleep_states,
            }[field]
            out.write(f"[ok] state.{field}: {value}\n")
    problem = reachable(config.mqtt.host, config.mqtt.port)
    if problem:
        out.write(f"[--] mqtt {config.mqtt.host}:{config.mqtt.port}: {problem}\n")
        out.write("     fix: check [mqtt] host/port in agent.toml and the firewall\n")
    else:
        out.write(f"[ok] mqtt {config.mqtt.host}:{config.mqtt.port} answers\n")
    return 0 if working else 1
