"""The state probes of each OS, wired to their commands, files and parsers.

Linux: logind (``loginctl``, else ``busctl``), ``systemd-inhibit --list``, logind.conf and its
drop-ins under ``etc_root``/``/usr/lib``/``/run``, GNOME settings (``gsettings``), the power
supplies, the DRM connectors' DPMS state and ``power/state`` under ``sysfs_root``. Windows: the
per-session idle helper's files, ``powercfg /q``, ``powercfg /requests``, ``powercfg /a``,
``reg query`` for the screensaver, psutil for the battery. A probe that fails or cannot trust
its output gives None (unknown), never an empty list. Commands run through the ``run`` parameter.
"""

from __future__ import annotations

from pathlib import Path

from agent.commands import CommandError, CommandRunner
from agent.sources.battery import PowerSupplies, psutil_on_battery
from agent.sources.procstat import BootTime
from agent.sources.system import boot_datetime
from agent.state import linux, sleepstates, windows
from agent.state.reader import Guarded, HostState
from agent.state.sleepdetect import SleepDetector
from contract.wire import SleepSettings

LOGINCTL_IDLE = ("loginctl", "show-session", "-p", "IdleHint", "-p", "IdleSinceHint")
BUSCTL_IDLE = (
    "busctl", "get-property", "org.freedesktop.login1", "/org/freedesktop/login1",
    "org.freedesktop.login1.Manager", "IdleHint", "IdleSinceHint",
)  # fmt: skip
INHIBIT_LIST = ("systemd-inhibit", "--list", "--no-pager")
GSETTINGS_SCHEMAS = (
    "org.gnome.settings-daemon.plugins.power",
    "org.gnome.desktop.session",
    "org.gnome.desktop.screensaver",
)
POWERCFG_QUERY = ("powercfg", "/q")
POWERCFG_REQUESTS = ("powercfg", "/requests")
POWERCFG_AVAILABLE = ("powercfg", "/a")
REG_DESKTOP = ("reg", "query", r"HKCU\Control Panel\Desktop")
REG_DESKTOP_POLICY = (
    "reg",
    "query",
    r"HKCU\Software\Policies\Microsoft\Windows\Control Panel\Desktop",
)


def logind_idle(run: CommandRunner) -> float | None:
    try:
        return linux.parse_loginctl_idle(run(LOGINCTL_IDLE))
    except (CommandError, ValueError):
        return linux.parse_busctl_idle(run(BUSCTL_IDLE))


def read_logind_conf(
    etc_root: Path = Path("/etc"), lib_root: Path = Path("/usr/lib")
) -> tuple[str, float] | None:
    """logind's idle action; None when logind is not there at all."""
    main = etc_root / "systemd" / "logind.conf"
    dropins: dict[str, Path] = {}
    for d in (
        lib_root / "systemd/logind.conf.d",
        Path("/run/systemd/logind.conf.d"),
        etc_root / "systemd/logind.conf.d",
    ):
        if d.is_dir():
            for f in d.glob("*.conf"):
                dropins[f.name] = f  # a later directory overrides a same-named file
    if not main.exists() and not dropins and not (lib_root / "systemd/systemd-logind").exists():
        return None
    texts = [main.read_text()] if main.exists() else []
    texts += [dropins[name].read_text() for name in sorted(dropins)]
    return linux.parse_logind_conf(*texts)


def gsettings(run: CommandRunner) -> dict[str, str]:
    """GNOME's settings; a schema that is not installed is skipped (the command fails), one
    that answers with nothing readable makes the settings unknown (ValueError)."""
    out: dict[str, str] = {}
    for schema in GSETTINGS_SCHEMAS:
        try:
            text = run(("gsettings", "list-recursively", schema))
        except CommandError:
            continue
        parsed = linux.parse_gsettings(text)
        if not parsed:
            raise ValueError(f"gsettings {schema}: no setting read (output empty or garbled)")
        out.update(parsed)
    return out


def drm_display_on(drm_root: Path) -> bool | None:
    """True if a connected, enabled display is in DPMS On; None without connectors."""
    seen = False
    try:
        connectors = [p for p in drm_root.iterdir() if "-" in p.name]
    except OSError:
        return None
    for c in connectors:
        try:
            if (c / "status").read_text().strip() != "connected":
                continue
            if (c / "enabled").read_text().strip() != "enabled":
                continue
            seen = True
            if (c / "dpms").read_text().strip() == "On":
                return True
        except OSError:
            continue
    return False if seen else None


def linux_state(
    run: CommandRunner,
    *,
    details: bool,
    sysfs_root: Path = Path("/sys"),
    etc_root: Path = Path("/etc"),
    detector: SleepDetector | None = None,
    supplies: PowerSupplies | None = None,
) -> HostState:
    """The Linux probes; ``supplies`` shared with the battery source saves a scan a round."""
    power = supplies or PowerSupplies(sysfs_root / "class" / "power_supply", max_age=0.0)

    def settings() -> SleepSettings | None:
        conf = read_logind_conf(etc_root)
        gs = gsettings(run)
        if conf is None and not gs:
            return None
        return linux.linux_sleep_settings(conf, gs)

    btime = BootTime()  # /proc/stat read again only after a clock step

    return HostState(
        idle=Guarded("idle time (logind)", lambda: logind_idle(run), None),
        settings=Guarded("sleep settings", settings, None, cache_seconds=600.0),
        blockers=Guarded[list[str] | None](
            "sleep blockers (systemd-inhibit)",
            lambda: linux.parse_inhibitors(run(INHIBIT_LIST), details=details),
            None,
        ),
        on_battery=lambda: power.status().on_battery,
        boot_time=lambda: boot_datetime(btime),
        detector=detector,
        sleep_states=Guarded(
            "sleep states (/sys/power/state)",
            lambda: sleepstates.read_sys_power(sysfs_root),
            None,
            cache_seconds=3600.0,
        ),
    )


def windows_state(
    run: CommandRunner,
    *,
    details: bool,
    idle_dir: Path,
    detector: SleepDetector | None = None,
) -> HostState:
    def screensaver() -> bool | None:
        # The users' own setting comes from the session helper; HKCU of a SYSTEM service
        # is SYSTEM's, right only when the agent runs in the user's session.
        seen = windows.read_session_screensaver(idle_dir)
        if seen is not None:
            return seen
        try:
            user = windows.parse_reg_query(run(REG_DESKTOP))
        except (CommandError, ValueError):
            return None  # unknown, and the timeouts are still worth sending
        try:
            policy = windows.parse_reg_query(run(REG_DESKTOP_POLICY))
        except CommandError:
            policy = {}  # no policy key: the usual case
        except ValueError:
            return None
        return windows.screensaver_enabled(user, policy)

    def settings() -> SleepSettings | None:
        return windows.sleep_settings_from_powercfg(run(POWERCFG_QUERY), screensaver())

    return HostState(
        idle=lambda: windows.read_idle_files(idle_dir),
        settings=Guarded("sleep settings (powercfg /q)", settings, None, cache_seconds=600.0),
        blockers=Guarded[list[str] | None](
            "sleep blockers (powercfg /requests)",
            lambda: windows.parse_powercfg_requests(run(POWERCFG_REQUESTS), details=details),
            None,
        ),
        on_battery=psutil_on_battery,
        boot_time=boot_datetime,
        detector=detector,
        sleep_states=Guarded(
            "sleep states (powercfg /a)",
            lambda: sleepstates.parse_powercfg_available(run(POWERCFG_AVAILABLE)),
            None,
            cache_seconds=3600.0,
        ),
    )
