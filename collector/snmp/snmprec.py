"""Read snmpsim ``.snmprec`` recordings: one ``OID|TAG|VALUE`` line per SNMP variable.

The value is kept exactly as recorded (trailing spaces included: some agents pad strings),
and OIDs become numeric tuples so they sort the way SNMP orders them. Tags are the snmpsim
type codes: 2 INTEGER, 4 OCTET STRING, 4x OCTET STRING in hex, 5 NULL, 6 OBJECT IDENTIFIER,
64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

Oid = tuple[int, ...]

TAGS = frozenset({"2", "4", "4x", "5", "6", "64", "65", "66", "67", "70"})


class SnmprecError(ValueError):
    """A line of a recording cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Record:
    """One recorded variable: its OID, snmpsim type tag and value text as recorded."""

    oid: Oid
    tag: str
    value: str


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1.2.1.1.3.0"`` (a leading dot is allowed) to ``(1, 3, 6, 1, 2, 1, 1, 3, 0)``."""
    body = text.strip().lstrip(".")
    if not body:
        raise ValueError(f"empty OID {text!r}")
    try:
        arcs = tuple(int(arc) for arc in body.split("."))
    except ValueError:
        raise ValueError(f"{text!r} is not a numeric OID") from None
    if any(arc < 0 for arc in arcs):
        raise ValueError(f"{text!r} has a negative arc")
    return arcs


def format_oid(oid: Oid) -> str:
    return ".".join(str(arc) for arc in oid)


def parse_snmprec(text: str, *, source: str = "<snmprec>") -> list[Record]:
    """Parse recording text into records, in file order. Blank and ``#`` lines are skipped."""
    records: list[Record] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            raise SnmprecError(f"{source}:{lineno}: expected OID|TAG|VALUE, got {line!r}")
        oid_text, tag, value = parts
        if tag not in TAGS:
            raise SnmprecError(f"{source}:{lineno}: unknown type tag {tag!r}")
        try:
            oid = parse_oid(oid_text)
        except ValueError as exc:
            raise SnmprecError(f"{source}:{lineno}: {exc}") from None
        records.append(Record(oid, tag, value))
    return records


def load_snmprec(path: Path) -> list[Record]:
    """Read one ``.snmprec`` file (UTF-8; undecodable bytes are kept as escapes)."""
    return parse_snmprec(
        path.read_text(encoding="utf-8", errors="surrogateescape"), source=str(path)
    )
