"""``veille-collector profile new WALK``: a starting profile TOML from a recorded walk.

Asks (flags, or prompts on a terminal) the few things a walk cannot say: the profile's name,
vendor, kind, the MIB the objects come from, and which object is the total power with its
scale. It writes the TOML with the device's sysObjectID as the match rule, then checks it the
way the tests will: loads it and reads the walk offline, printing the power it finds. Without
``--power-oid`` it lists the walk's numeric columns as a starting point. Exit codes: 0 written,
1 the profile reads no power from the walk, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from pydantic import ValidationError

from collector.snmp import decode
from collector.snmp.client import SnmpValue
from collector.snmp.estimate import Rating, device_power
from collector.snmp.profiles import PROFILES_DIR, Profile
from collector.snmp.snmprec import Oid, Record, SnmprecError, load_snmprec, parse_oid
from contract.settings import format_errors

_SOURCE = {
    "pdu": "pdu_inlet",
    "ups": "ups_output",
    "poe_midspan": "poe_pse",
    "switch": "entity_sensor",
    "facility_meter": "facility_meter",
}
_NUMERIC = {"2": int, "65": int, "66": int, "67": int, "70": int}


def _value(r: Record) -> SnmpValue | None:
    if r.tag in _NUMERIC:
        try:
            return int(r.value)
        except ValueError:
            return None
    if r.tag == "6":
        return parse_oid(r.value)
    return r.value


def read_offline(profile: Profile, records: list[Record]) -> decode.RawData:
    """What one poll of ``profile`` would read from a device serving ``records``."""
    values = {r.oid: _value(r) for r in records}
    scalars, columns = decode.needed_oids(profile)
    table = {
        col: {o[len(col) :]: v for o, v in values.items() if o[: len(col)] == col and v is not None}
        for col in columns
    }
    return decode.RawData({o: values.get(o) for o in scalars}, table)


def _columns(records: list[Record]) -> list[tuple[Oid, int]]:
    """Numeric columns and scalars of the walk outside mib-2 system/interfaces counters."""
    seen: dict[Oid, int] = {}
    standard = {(1, 3, 6, 1, 2, 1, 33), (1, 3, 6, 1, 2, 1, 99), (1, 3, 6, 1, 2, 1, 105)}
    for r in records:
        vendor = r.oid[:6] == (1, 3, 6, 1, 4, 1)
        if r.tag not in ("2", "66") or not (vendor or r.oid[:7] in standard):
            continue
        col = r.oid[:-1]
        seen[col] = seen.get(col, 0) + 1
    return sorted(seen.items())


def _ask(args: argparse.Namespace, key: str, question: str) -> str | None:
    value = getattr(args, key)
    if value is None and sys.stdin.isatty():
        value = input(f"{question}: ").strip() or None
    return str(value) if value is not None else None


def render(
    *,
    name: str,
    vendor: str,
    kind: str,
    mib: str,
    sys_object_id: str | None,
    power_oid: str,
    table: bool,
    multiplier: float,
    divisor: float,
    energy_oid: str | None,
    energy_unit: str,
    energy_table: bool,
    walk_name: str,
) -> str:
    """The TOML text of a starting profile."""
    lines = [
        f"# {vendor} ({kind}), {mib}.",
        f"# Written by `veille-collector profile new` from the walk {walk_name}. Check every",
        "# object against the MIB file and cite it here before shipping the profile.",
        f'name = "{name}"',
        f'kind = "{kind}"',
        f'vendor = "{vendor}"',
        f'mib = "{mib}"',
        f'source = "{_SOURCE.get(kind, "pdu_inlet")}"',
        "priority = 10",
        "",
        "[match]",
        f'sys_object_id = ["{sys_object_id}"]' if sys_object_id else "sys_object_id = []",
        "",
        "# The device total, W = raw * multiplier / divisor.",
        "[[power]]",
        f'oid = "{power_oid}"',
        f"table = {str(table).lower()}",
        f"multiplier = {multiplier:g}",
        f"divisor = {divisor:g}",
        "unsupported = [-1]",
    ]
    if table:
        lines.append('component = "{index}"')
    if energy_oid:
        lines += [
            "",
            "# Energy register: set counter_bits (32 if it is a Counter32/Unsigned32) and",
            "# resettable (an operator can zero it) from the MIB.",
            "[[energy]]",
            f'oid = "{energy_oid}"',
            f"table = {str(energy_table).lower()}",
            f'unit = "{energy_unit}"',
            "unsupported = [-1]",
        ]
        if energy_table:
            lines.append('component = "{index}"')
    return "\n".join(lines) + "\n"


def _is_table(oid: Oid, records: list[Record]) -> bool | None:
    """True: a column (rows under it); False: a scalar; None: not in the walk."""
    if any(r.oid == oid for r in records):
        return False
    if any(r.oid[: len(oid)] == oid and len(r.oid) > len(oid) for r in records):
        return True
    return None


def new_profile_command(args: argparse.Namespace) -> int:
    """Write the profile; see the module docstring for the exit codes."""
    try:
        records = load_snmprec(args.walk)
    except (OSError, SnmprecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    answers = {
        "name": _ask(args, "name", "profile name (lower_snake_case)"),
        "vendor": _ask(args, "vendor", "vendor"),
        "kind": _ask(args, "kind", "kind (pdu, ups, poe_midspan, switch, facility_meter)"),
        "mib": _ask(args, "mib", "MIB the objects come from"),
        "power_oid": _ask(args, "power_oid", "numeric OID of the total power"),
    }
    missing = [k for k, v in answers.items() if v is None]
    if missing:
        print("missing: " + ", ".join("--" + k.replace("_", "-") for k in missing), file=sys.stderr)
        if "power_oid" in missing:
            print("numeric columns in the walk (OID, rows):", file=sys.stderr)
            for col, n in _columns(records):
                print(f"  {'.'.join(map(str, col))}  {n}", file=sys.stderr)
        return 2
    try:
        power_oid = parse_oid(str(answers["power_oid"]))
        energy_oid = parse_oid(args.energy_oid) if args.energy_oid else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = _is_table(power_oid, records)
    energy_table = _is_table(energy_oid, records) if energy_oid else False
    if table is None or energy_table is None:
        print("error: the power (or energy) OID is not in the walk", file=sys.stderr)
        return 2
    sys_oid = next((r.value.lstrip(".") for r in records if r.oid == decode.SYS_OBJECT_ID), None)
    text = render(
        name=str(answers["name"]),
        vendor=str(answers["vendor"]),
        kind=str(answers["kind"]),
        mib=str(answers["mib"]),
        sys_object_id=sys_oid,
        power_oid=".".join(map(str, power_oid)),
        table=table,
        multiplier=args.multiplier,
        divisor=args.divisor,
        energy_oid=".".join(map(str, energy_oid)) if energy_oid else None,
        energy_unit=args.energy_unit,
        energy_table=bool(energy_table),
        walk_name=args.walk.name,
    )
    try:
        profile = Profile.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        for line in format_errors(exc):
            print(f"error: {line}", file=sys.stderr)
        return 2
    power = device_power(profile, read_offline(profile, records), Rating())
    if power is None:
        print(f"error: {profile.name} reads no power from {args.walk}", file=sys.stderr)
        return 1
    out: Path = args.output or PROFILES_DIR / f"{profile.name}.toml"
    if out.exists():
        print(f"error: {out} exists; choose another --name or --output", file=sys.stderr)
        return 2
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}: {profile.name} reads {power.watts:g} W from {args.walk.name}")
    print("next: copy the walk to tests/fixtures/snmp/ and add its expected reading to")
    print("expected.json (see collector/snmp/profiles/README.md)")
    return 0
