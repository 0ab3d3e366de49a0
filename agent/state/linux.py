"""Linux sleep evidence from text: logind idle hints, inhibitors, logind.conf, GNOME settings.

Parsers only; the commands run elsewhere through a ``CommandRunner``. Times are seconds.
- idle: ``loginctl show-session -p IdleHint -p IdleSinceHint`` (the manager's view over all
  sessions) or the same properties through ``busctl get-property``. IdleSinceHint is when
  the desktop declared the session idle (after its own idle delay), so the idle time is a
  lower bound; a session that is not idle reports 0.
- blockers: ``systemd-inhibit --list`` (table of systemd >= 246, and the older
  ``Who:/What:`` blocks). Only ``block`` locks on ``sleep`` or ``idle`` count; the user name
  and the reason are never kept, the process name only when the administrator opts in.
- settings: ``IdleAction``/``IdleActionSec`` of logind.conf (and its drop-ins) and GNOME's
  ``gsettings list-recursively`` for the power plugin, the session idle delay and the
  screensaver.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from contract.wire import SleepSettings

SLEEP_ACTIONS = frozenset(
    {"suspend", "hibernate", "hybrid-sleep", "suspend-then-hibernate", "poweroff", "halt"}
)
GNOME_SLEEP_TYPES = frozenset({"suspend", "hibernate", "shutdown"})

_UNITS = {
    "us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3,
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_SPAN_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_timespan(text: str) -> float:
    """A systemd time span ("30min", "1h 30min", "1800") in seconds; ValueError if bad."""
    text = text.strip().lower()
    if text in ("infinity", ""):
        raise ValueError(f"not a finite time span: {text!r}")
    total, pos = 0.0, 0
    for m in _SPAN_PART.finditer(text):
        if text[pos : m.start()].strip():
            raise ValueError(f"bad time span {text!r}")
        unit = m.group(2) or "s"
        if unit not in _UNITS:
            raise ValueError(f"unknown time unit {unit!r} in {text!r}")
        total += float(m.group(1)) * _UNITS[unit]
        pos = m.end()
    if text[pos:].strip():
        raise ValueError(f"bad time span {text!r}")
    return total


def _properties(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _idle_from(hint: bool, since_us: int, now: datetime) -> float | None:
    if not hint:
        return 0.0
    if since_us <= 0:
        return None
    return max(0.0, now.timestamp() - since_us / 1e6)


def parse_loginctl_idle(text: str, now: datetime | None = None) -> float | None:
    """Idle seconds from ``loginctl show-session -p IdleHint -p IdleSinceHint``."""
    props = _properties(text)
    if "IdleHint" not in props:
        raise ValueError("no IdleHint in loginctl output")
    hint = props["IdleHint"].lower() in ("yes", "true", "1")
    return _idle_from(hint, int(props.get("IdleSinceHint", "0") or 0), now or datetime.now(UTC))


def parse_busctl_idle(text: str, now: datetime | None = None) -> float | None:
    """Idle seconds from ``busctl get-property ... IdleHint IdleSinceHint`` ("b ..", "t ..")."""
    hint: bool | None = None
    since = 0
    for line in text.splitlines():
        sig, _, value = line.strip().partition(" ")
        if sig == "b":
            hint = value.strip() == "true"
        elif sig == "t":
            since = int(value)
    if hint is None:
        raise ValueError("no boolean IdleHint in busctl output")
    return _idle_from(hint, since, now or datetime.now(UTC))


def _inhibitor_blocker(what: str, mode: str, comm: str, details: bool) -> str | None:
    kinds = what.split(":")
    if not mode.startswith("block") or not ({"sleep", "idle"} & set(kinds)):
        return None
    blocker = ("sleep" if "sleep" in kinds else "idle") + ":inhibitor"
    if details:
        blocker += ":" + (re.sub(r"[^A-Za-z0-9._+-]", "", comm)[:64] or "unknown")
    return blocker


_LEGEND = re.compile(r"^(\d+) inhibitors listed\.$")


def _legend_count(lines: list[str]) -> int | None:
    """The number of inhibitors systemd says it listed: "N inhibitors listed." or "No
    inhibitors." as its last line (systemd's own words; it does not translate them)."""
    tail = [ln.strip() for ln in lines if ln.strip()]
    if not tail:
        return None
    if tail[-1] == "No inhibitors.":
        return 0
    m = _LEGEND.match(tail[-1])
    return int(m.group(1)) if m else None


def parse_inhibitors(text: str, *, details: bool = False) -> list[str]:
    """Sleep blockers from ``systemd-inhibit --list`` as ``sleep:inhibitor[:comm]``.

    Raises ValueError unless the output ends with systemd's legend and the legend's count
    matches the rows read: an empty, cut or garbled output is unknown, never "no blockers".
    """
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise ValueError("systemd-inhibit --list: NUL characters (not text)")
    rows: list[tuple[str, str, str]] = []
    lines = text.splitlines()
    expected = _legend_count(lines)
    if expected is None:
        raise ValueError("systemd-inhibit --list: no 'N inhibitors listed.' legend (cut/garbled)")
    header = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("WHO ")), None)
    if header is not None:
        head = lines[header]
        cols = {name: head.index(name) for name in ("COMM", "WHAT", "WHY", "MODE") if name in head}
        if not {"COMM", "WHAT", "MODE"} <= cols.keys():
            raise ValueError("systemd-inhibit --list: table header without COMM, WHAT, MODE")
        after_what = cols.get("WHY", cols["MODE"])
        for line in lines[header + 1 :]:
            if not line.strip() or line.strip().endswith("listed."):
                continue
            comm = line[cols["COMM"] : cols["WHAT"]].strip()
            what = line[cols["WHAT"] : after_what].strip()
            mode = line[cols["MODE"] :].strip()
            rows.append((what, mode, comm))
    else:  # systemd < 246: "Who: x (UID 0/root, PID 1/comm)" / "What:" / "Mode:" blocks
        block: dict[str, str] = {}
        for line in [*lines, ""]:
            key, sep, value = line.strip().partition(":")
            if sep and key in ("Who", "What", "Why", "Mode"):
                block[key] = value.strip()
            elif block:
                pid = re.search(r"PID \d+/([^)]*)\)", block.get("Who", ""))
                rows.append(
                    (block.get("What", ""), block.get("Mode", ""), pid.group(1) if pid else "")
                )
                block = {}
    if len(rows) != expected:
        raise ValueError(
            f"systemd-inhibit --list: {len(rows)} rows read, the legend says {expected}"
        )
    out: list[str] = []
    for what, mode, comm in rows:
        blocker = _inhibitor_blocker(what, mode, comm, details)
        if blocker and blocker not in out:
            out.append(blocker)
    return out


def parse_logind_conf(*texts: str) -> tuple[str, float]:
    """(IdleAction, IdleActionSec seconds) from logind.conf then its drop-ins, later wins."""
    action, seconds = "ignore", 1800.0
    for text in texts:
        section = ""
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, sep, value = line.partition("=")
            if not sep or section != "Login":
                continue
            if key.strip() == "IdleAction":
                action = value.strip() or "ignore"
            elif key.strip() == "IdleActionSec":
                seconds = parse_timespan(value)
    return action, seconds


def parse_gsettings(text: str) -> dict[str, str]:
    """``schema key value`` lines of ``gsettings list-recursively``, keyed "schema key".

    gsettings ends every line with a newline: a last line without one was cut (``3600`` read
    as ``36``), so it is dropped.
    """
    out = {}
    lines = text.splitlines()
    if text and not text.endswith("\n"):
        lines = lines[:-1]
    for line in lines:
        parts = line.split(None, 2)
        if len(parts) == 3:
            value = re.sub(r"^(u?int(16|32|64)|byte|double)\s+", "", parts[2].strip())
            out[f"{parts[0]} {parts[1]}"] = value.strip("'")
    return out


_POWER = "org.gnome.settings-daemon.plugins.power"


def _gnome_sleep(gs: dict[str, str], supply: str) -> int | None:
    kind = gs.get(f"{_POWER} sleep-inactive-{supply}-type")
    timeout = gs.get(f"{_POWER} sleep-inactive-{supply}-timeout")
    if kind is None or timeout is None:
        return None
    return int(timeout) if kind in GNOME_SLEEP_TYPES else 0


def linux_sleep_settings(
    logind: tuple[str, float] | None, gsettings: dict[str, str]
) -> SleepSettings:
    """Combine logind's idle action and GNOME's settings: the shortest timer that sleeps wins.

    If GNOME's power plugin was read but a supply's type or timeout is missing (a cut or
    garbled output), that supply's timeout is unknown rather than logind's alone.
    """
    logind_s: int | None = None
    if logind is not None:
        logind_s = int(logind[1]) if logind[0] in SLEEP_ACTIONS else 0

    power_shown = any(k.startswith(_POWER + " ") for k in gsettings)

    def combine(supply: str) -> int | None:
        gnome = _gnome_sleep(gsettings, supply)
        if power_shown and gnome is None:
            return None  # GNOME's power settings were read, but not whole: unknown
        candidates = [v for v in (logind_s, gnome) if v is not None]
        if not candidates:
            return None
        positive = [v for v in candidates if v > 0]
        return min(positive) if positive else 0

    delay = gsettings.get("org.gnome.desktop.session idle-delay")
    blank = int(delay) if delay is not None else None
    saver = gsettings.get("org.gnome.desktop.screensaver idle-activation-enabled")
    return SleepSettings(
        sleep_ac_seconds=combine("ac"),
        sleep_battery_seconds=combine("battery"),
        display_ac_seconds=blank,
        display_battery_seconds=blank,
        screensaver_enabled=None if saver is None else saver == "true",
    )
