"""Windows sleep evidence from text: ``powercfg /q``, ``powercfg /requests``, ``reg query``.

Everything here parses text and is tested with recorded outputs of English and French
Windows 10/11. Labels are translated by Windows, so the parsers key on what is not: setting
GUIDs, hexadecimal values (the current AC index comes before the DC index, in every language),
the request category headers and the ``[PROCESS]``/``[SERVICE]``/``[DRIVER]`` tags. Timeouts
are seconds, 0 meaning never. Sleep blockers keep only an application, service or driver name
(opt-in), never a path (it holds the user's name) nor the request's reason (it can hold a
window or media title).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent.state.text import readable_text
from contract.wire import SleepSettings

SUB_SLEEP = "238c9fa8-0aad-41ed-83f4-97be242c8f20"
STANDBYIDLE = "29f6c1db-86da-48c5-9fdb-f2b67b1f44da"
HIBERNATEIDLE = "9d7815a6-7ee4-497e-8888-515a05f02364"
SUB_VIDEO = "7516b95f-f776-4464-8c53-06167f40cc99"
VIDEOIDLE = "3c0bc021-c8a8-4e07-a973-6b14cbcb2b7e"

_GUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I)
_HEX = re.compile(r":\s*0x([0-9a-f]*)\s*$", re.I)


@dataclass(frozen=True, slots=True)
class PowercfgQuery:
    """What ``powercfg /q`` showed: complete settings, and what was cut or garbled.

    ``settings`` maps a setting GUID to its current (AC, DC) index. ``incomplete`` holds the
    GUIDs whose block held index lines but not two good ones; ``seen`` every GUID line;
    ``closed`` the GUID lines followed by a sibling or a parent (a subgroup in ``closed`` was
    printed whole).
    """

    settings: dict[str, tuple[int, int]]
    incomplete: frozenset[str]
    seen: frozenset[str]
    closed: frozenset[str]


def read_powercfg_query(text: str) -> PowercfgQuery:
    """Parse ``powercfg /q`` by its layout, which no translation changes.

    A setting's block is its GUID line, then deeper-indented range lines (minimum, maximum,
    increment: never the value), then exactly two index lines at the GUID line's own indent,
    AC before DC, each ``0x`` and 8 hex digits. A block cut short, with a cut number, or with
    lines out of place is *incomplete*: its range limits are never taken for a timeout.
    """
    text = text.lstrip("\ufeff")
    settings: dict[str, tuple[int, int]] = {}
    incomplete: set[str] = set()
    seen: set[str] = set()
    closed: set[str] = set()
    open_groups: list[tuple[str, int]] = []  # GUID lines above the current one, with indents
    block: tuple[str, int] | None = None
    values: list[int] = []
    broken = False

    def finish() -> None:
        if block is None:
            return
        if not broken and len(values) == 2:
            settings[block[0]] = (values[0], values[1])
        elif values or broken:
            incomplete.add(block[0])

    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        guid = _GUID.search(line)
        if guid and ":" in line[: guid.start()]:
            finish()
            while open_groups and open_groups[-1][1] >= indent:
                closed.add(open_groups.pop()[0])
            block, values, broken = (guid.group(1).lower(), indent), [], False
            open_groups.append(block)
            seen.add(block[0])
            continue
        hexval = _HEX.search(line)
        if hexval is None or block is None or indent > block[1]:
            continue  # labels, enumerated choices, range limits
        if indent < block[1] or len(hexval.group(1)) != 8 or len(values) == 2:
            broken = True
        else:
            values.append(int(hexval.group(1), 16))
    finish()
    return PowercfgQuery(settings, frozenset(incomplete), frozenset(seen), frozenset(closed))


def parse_powercfg_query(text: str) -> dict[str, tuple[int, int]]:
    """Map each power setting GUID whose block is complete to its current (AC, DC) index."""
    return read_powercfg_query(text).settings


def sleep_settings_from_powercfg(
    query_text: str, screensaver_enabled: bool | None = None
) -> SleepSettings:
    """Sleep and display-off timeouts of the active scheme, in seconds (0 = never).

    With sleep set to never but hibernation on a timer, the hibernation timeout is the one
    that takes the machine down, so it is reported as the sleep timeout. A timeout whose
    block was cut or garbled is None (unknown). So is "never" when the hibernation block
    could have followed but was not seen whole (an output cut inside the Sleep subgroup).
    Raises ValueError when neither the sleep nor the display block is there at all.
    """
    q = read_powercfg_query(query_text)
    settings = q.settings
    if not ({STANDBYIDLE, VIDEOIDLE} & q.seen):
        raise ValueError("powercfg output has neither STANDBYIDLE nor VIDEOIDLE")
    standby = settings.get(STANDBYIDLE)
    hibernate = settings.get(HIBERNATEIDLE)
    # An absence proves something only in an output read whole: the Sleep subgroup closed by
    # the next one, and no block anywhere cut or garbled. Then hibernation is off.
    whole = SUB_SLEEP in q.closed and not q.incomplete
    if hibernate is None and HIBERNATEIDLE not in q.seen and whole:
        hibernate = (0, 0)
    video = settings.get(VIDEOIDLE)

    def pick(i: int) -> int | None:
        if standby is None:
            return None
        if standby[i]:
            return standby[i]
        return None if hibernate is None else hibernate[i]

    return SleepSettings(
        sleep_ac_seconds=pick(0),
        sleep_battery_seconds=pick(1),
        display_ac_seconds=None if video is None else video[0],
        display_battery_seconds=None if video is None else video[1],
        screensaver_enabled=screensaver_enabled,
    )


# Categories that keep the machine (or its display) awake; PERFBOOST and ACTIVELOCKSCREEN
# do not prevent sleep.
BLOCKING_REQUESTS = ("DISPLAY", "SYSTEM", "AWAYMODE", "EXECUTION")
#: The sections Windows 10/11 print, in order. The blocking ones must all be there, each with
#: a body ("None." in the user's language, or requests), and closed by PERFBOOST, for the
#: output to be read at all: anything less was cut, garbled or wrongly decoded.
REQUEST_SECTIONS = ("DISPLAY", "SYSTEM", "AWAYMODE", "EXECUTION", "PERFBOOST")
_HEADER = re.compile(r"^([A-Z]+):\s*$")
_ENTRY = re.compile(r"^\[(DRIVER|PROCESS|SERVICE)[^\]]*\]\s*(.*)$")
_SAFE = re.compile(r"[^A-Za-z0-9 ._+()-]")


def _requester_name(kind: str, rest: str) -> str:
    rest = rest.strip()
    paren = re.search(r"\(([^()]*)\)\s*$", rest)
    if kind == "SERVICE" and paren:
        name = paren.group(1)
    elif kind == "DRIVER":
        name = rest[: paren.start()] if paren else rest
    else:
        path = rest[: paren.start()] if paren else rest
        name = re.split(r"[\\/]", path.strip())[-1]
    return _SAFE.sub("", name).strip()[:64] or "unknown"


def parse_powercfg_requests(text: str, *, details: bool = False) -> list[str]:
    """Sleep blockers as ``category:kind`` (``system:process``), plus the name if ``details``.

    Raises ValueError when the output is not whole (see :data:`REQUEST_SECTIONS`): an empty
    list must mean "no blocker", never "could not tell".
    """
    text = readable_text(text, "powercfg /requests")
    out: list[str] = []
    bodies: dict[str, int] = {}
    order: list[str] = []
    section: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        header = _HEADER.match(line)
        if header:
            section = header.group(1)
            order.append(section)
            bodies.setdefault(section, 0)
            continue
        if section is not None and line:
            bodies[section] += 1
        entry = _ENTRY.match(line)
        if not entry or section not in BLOCKING_REQUESTS:
            continue  # "None." / "Aucun." or a request's reason text: never kept
        kind = entry.group(1)
        blocker = f"{section.lower()}:{kind.lower()}"
        if details:
            blocker += ":" + _requester_name(kind, entry.group(2))
        if blocker not in out:
            out.append(blocker)
    known = [s for s in order if s in REQUEST_SECTIONS]
    if known != list(REQUEST_SECTIONS):
        raise ValueError(
            f"powercfg /requests: sections {known} instead of {list(REQUEST_SECTIONS)}"
            " (output cut or garbled)"
        )
    empty = [s for s in BLOCKING_REQUESTS if not bodies[s]]
    if empty:
        raise ValueError(f"powercfg /requests: empty section(s) {empty} (output garbled)")
    return out


_REG_VALUE = re.compile(r"^\s+(?P<name>\S.*?)\s+(?P<type>REG_[A-Z_]+)\s*(?P<data>.*)$")


def parse_reg_query(text: str) -> dict[str, str]:
    """Values of ``reg query <key>`` output, by name (case kept), data as text.

    reg.exe prints the key, its values, then a blank line: without that blank line the output
    was cut and a missing value (``SCRNSAVE.EXE``) could be one not printed, so ValueError.
    """
    lines = readable_text(text, "reg query").splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("HKEY_")), None)
    if start is None:
        raise ValueError("reg query: no HKEY_ line (output garbled)")
    out: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if not line:  # spaces alone are a value line cut short, not the end
            return out
        m = _REG_VALUE.match(line)
        if m is None:
            raise ValueError(f"reg query: unexpected line {line.strip()[:60]!r} (cut or garbled)")
        out[m["name"]] = m["data"].strip()
    raise ValueError("reg query: no blank line after the values (output cut)")


def screensaver_enabled(user: dict[str, str], policy: dict[str, str] | None = None) -> bool | None:
    """Whether a screensaver runs: a group policy wins over the user's own setting.

    Windows 10/11 keep ``ScreenSaveActive=1`` when "(None)" is chosen and drop ``SCRNSAVE.EXE``,
    so both must be set for a screensaver to run.
    """
    policy = policy or {}
    if "ScreenSaveActive" in policy:
        return policy["ScreenSaveActive"] == "1"
    active = user.get("ScreenSaveActive")
    if active is None:
        return None
    exe = policy.get("SCRNSAVE.EXE", user.get("SCRNSAVE.EXE", ""))
    return active == "1" and bool(exe.strip())


def _fresh_sessions(
    directory: Path, now: datetime, max_age_seconds: float
) -> list[tuple[float, dict[str, object]]]:
    """(age in seconds, document) of each session file written recently enough."""
    out = []
    try:
        files = list(directory.glob("*.json"))
    except OSError:
        return []
    for path in files:
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
            written = datetime.fromisoformat(str(doc["written_at"]).replace("Z", "+00:00"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not isinstance(doc, dict) or written.tzinfo is None:
            continue
        age = (now - written).total_seconds()
        if -60 <= age <= max_age_seconds:
            out.append((max(0.0, age), doc))
    return out


def read_idle_files(
    directory: Path, now: datetime | None = None, max_age_seconds: float = 180.0
) -> float | None:
    """Seconds since the last input in any session, from the per-session helper's files.

    GetLastInputInfo only sees its own session, so ``deploy/windows/IdleHelper.cs`` runs in
    each user's session and writes ``<session>.json`` (``{"idle_seconds": 12.5,
    "screensaver": true, "written_at": "2026-01-05T08:00:00Z"}``). The most active session
    wins; a file older than ``max_age_seconds`` is ignored (logged off, helper stopped).
    None when no session has a fresh file.
    """
    best: float | None = None
    for age, doc in _fresh_sessions(directory, now or datetime.now(UTC), max_age_seconds):
        try:
            idle = float(doc["idle_seconds"])  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            continue
        if idle >= 0:
            best = idle + age if best is None else min(best, idle + age)
    return best


def read_session_screensaver(
    directory: Path, now: datetime | None = None, max_age_seconds: float = 180.0
) -> bool | None:
    """Whether a user session runs a screensaver (its own HKCU setting, via the helper)."""
    values = [
        doc["screensaver"]
        for _, doc in _fresh_sessions(directory, now or datetime.now(UTC), max_age_seconds)
        if isinstance(doc.get("screensaver"), bool)
    ]
    return any(values) if values else None
