"""Which sleep states a machine offers: ``powercfg /a`` (Windows), ``/sys/power`` (Linux).

``powercfg /a`` prints two lists in the user's language: the states available, then those not
available, each followed by the reasons Windows gives. The parser keys on its layout (a
header line at the margin, states indented once, reasons indented twice) and on what
Windows does not translate: "S0" and "(S1)", "(S2)", "(S3)" in the state labels. The other
labels (hibernate, hybrid sleep, fast startup) come from :data:`LABELS`, English and French,
matched on their ASCII letters only so that an OEM code page read wrongly (``é`` turned into
``├®`` or U+FFFD) still matches. A label the table does not know is ``other``: if only such
states are available, whether the machine can sleep stays unknown.

Linux: ``/sys/power/state`` lists ``freeze``, ``standby``, ``mem``, ``disk``; ``mem`` is the
variant that ``/sys/power/mem_sleep`` marks in brackets (``s2idle [deep]``).
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.state.text import readable_text
from contract.wire import SleepStateName, SleepStates

#: Labels of ``powercfg /a`` by state, in the languages seen; add a language here.
LABELS: dict[SleepStateName, tuple[str, ...]] = {
    "hibernate": ("Hibernate", "Mettre en veille prolongée", "Veille prolongée"),
    "hybrid_sleep": ("Hybrid Sleep", "Veille mode hybride", "Veille hybride"),
    "fast_startup": ("Fast Startup", "Démarrage rapide"),
}


def _letters(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.casefold())


_BY_LETTERS: dict[str, SleepStateName] = {
    _letters(label): state for state, labels in LABELS.items() for label in labels
}


def state_name(label: str) -> SleepStateName:
    """The state a ``powercfg /a`` label names (``Standby (S3)``, ``Veille prolongée``)."""
    for code in ("1", "2", "3"):
        if re.search(rf"\(\s*S{code}\s*\)", label):
            return f"s{code}"  # type: ignore[return-value]
    if re.search(r"\bS0\b", label):
        return "s0_low_power_idle"
    return _BY_LETTERS.get(_letters(label), "other")


def parse_powercfg_available(text: str) -> SleepStates:
    """Available and unavailable sleep states; ValueError if the output is not both lists."""
    text = readable_text(text, "powercfg /a")
    sections: list[list[tuple[str, list[str]]]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip())
        line = raw.strip()
        if indent == 0:
            if not line.endswith(":"):
                raise ValueError(f"powercfg /a: unexpected line {line[:60]!r}")
            sections.append([])
        elif not sections:
            raise ValueError("powercfg /a: an indented line before any header")
        elif indent <= 4 or not sections[-1]:
            sections[-1].append((line, []))
        else:
            sections[-1][-1][1].append(line)
    if len(sections) != 2:
        raise ValueError(f"powercfg /a: {len(sections)} header line(s), expected 2 (cut?)")
    available, unavailable = sections
    if any(not reasons for _, reasons in unavailable):
        raise ValueError("powercfg /a: an unavailable state without its reason (cut?)")
    names: list[SleepStateName] = []
    for label, _ in available:
        name = state_name(label)
        if name not in names:
            names.append(name)
    missing: dict[SleepStateName, str] = {}
    for label, reasons in unavailable:
        name = state_name(label)
        if name in names or name == "other":
            continue  # "S0 Network Connected" not available while "S0 Disconnected" is
        text_reasons = " ".join(reasons)
        missing[name] = f"{missing[name]} {text_reasons}" if name in missing else text_reasons
    return SleepStates(available=names, unavailable=missing)


_LINUX_STATES: dict[str, SleepStateName] = {
    "freeze": "suspend_to_idle",
    "standby": "s1",
    "disk": "hibernate",
}
_MEM_SLEEP: dict[str, SleepStateName] = {"s2idle": "suspend_to_idle", "shallow": "s1", "deep": "s3"}


def parse_sys_power(state: str, mem_sleep: str | None = None) -> SleepStates:
    """Sleep states from ``/sys/power/state`` and, if the kernel has it, ``mem_sleep``."""
    names: list[SleepStateName] = []
    words = state.split()
    for word in words:
        if word == "mem":
            current = re.search(r"\[(\w+)\]", mem_sleep or "")
            name = _MEM_SLEEP.get(current.group(1), "other") if current else "suspend"
        elif word in _LINUX_STATES:
            name = _LINUX_STATES[word]
        else:
            raise ValueError(f"/sys/power/state: unknown state {word[:20]!r}")
        if name not in names:
            names.append(name)
    return SleepStates(available=names)


def read_sys_power(sysfs_root: Path = Path("/sys")) -> SleepStates | None:
    """The kernel's sleep states; None when ``/sys/power/state`` cannot be read."""
    try:
        state = (sysfs_root / "power" / "state").read_text()
    except OSError:
        return None
    try:
        mem_sleep: str | None = (sysfs_root / "power" / "mem_sleep").read_text()
    except OSError:
        mem_sleep = None
    return parse_sys_power(state, mem_sleep)
