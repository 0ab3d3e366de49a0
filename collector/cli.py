"""``veille-collector``: the service and the operator's commands.

veille-collector run [-c collector.toml]      the collector service
veille-collector demo [--keep-running]        embedded broker + simulated fleet + report
veille-collector schema                       JSON Schema of the wire format (v1)
veille-collector check-config [-c F]          validate config and inventory, name each bad key
veille-collector dead-letters [-c F]          rejected messages with their reasons
veille-collector poll HOST:PORT [...]         poll one SNMP device with its detected profile
veille-collector poll --discover HOST:PORT    every known MIB family it answers, and its reading
veille-collector profile new WALK [...]       a starting profile TOML from a recorded walk
veille-collector report [-c F] --quarter 2026-T3 | --year 2026 | --from D --to D | --days N
        [--format csv,json,html] [--lang fr|en] [--out DIR] [--public]
                                              write the footprint report from the ledger
veille-collector violations [--since D]       sleep-policy violations with their evidence
veille-collector exempt DEVICE --until D ...  record an exemption (who, when, why)
veille-collector import-inventory [--csv T F | --api] [--apply]
                                              GLPI into the inventory (a dry run first)
veille-collector test-alerts [-c F]           send a test alert through every alert channel
veille-collector import-meter FILE.csv [-c F] hosted datacentres' energy per period
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date, timedelta
from pathlib import Path

from collector.model import ViolationState
from contract.settings import ConfigError


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help="collector TOML file (default: embedded defaults)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="veille-collector",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the collector service")
    _config_arg(p)

    p = sub.add_parser("demo", help="run the whole pipeline on a simulated fleet")
    p.add_argument("--output", type=Path, default=Path("demo-output"))
    p.add_argument(
        "--live-seconds",
        type=float,
        default=45.0,
        help="how long the live part runs after the replayed week",
    )
    p.add_argument("--keep-running", action="store_true", help="keep serving after the report")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--timeseries-url",
        help="also write every reading to this store (e.g. VictoriaMetrics http://127.0.0.1:8428)",
    )
    p.add_argument(
        "--metrics-port", type=int, default=0, help="serve /metrics on this port (0: a free one)"
    )
    p.add_argument(
        "--history-days", type=float, default=7.0, help="how many past days are replayed"
    )

    sub.add_parser("schema", help="print the JSON Schema of wire format v1")

    p = sub.add_parser("check-config", help="validate the config and the inventory")
    _config_arg(p)

    p = sub.add_parser("dead-letters", help="list rejected messages with their reasons")
    _config_arg(p)
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("devices", help="devices heard of: status, last seen, clock skew")
    _config_arg(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("violations", help="sleep-policy violations with their evidence")
    _config_arg(p)
    p.add_argument("--since", type=date.fromisoformat, help="local day (default: 7 days ago)")
    p.add_argument("--domain", help="only this domaine du SI")
    p.add_argument(
        "--state",
        action="append",
        default=[],
        choices=[s.value for s in ViolationState],
        help="only these states (repeatable)",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("exempt", help="exempt a device or a policy group from the sleep policy")
    _config_arg(p)
    p.add_argument("target", help="device id, or a policy group with --group")
    p.add_argument("--until", type=date.fromisoformat, required=True, help="last day (local)")
    p.add_argument("--reason", required=True)
    p.add_argument("--group", action="store_true", help="TARGET is a policy group")
    p.add_argument("--by", help="who records it (default: the login name)")

    p = sub.add_parser("exemptions", help="recorded exemptions, active and expired")
    _config_arg(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("poll", help="poll one SNMP device and print its power, energy, uptime")
    p.add_argument("target", help="HOST:PORT (port defaults to 161)")
    p.add_argument("--community", default=None)
    p.add_argument("--v3-user")
    p.add_argument("--v3-auth-key")
    p.add_argument("--v3-priv-key")
    p.add_argument("--v3-auth-protocol", default="SHA")
    p.add_argument("--v3-priv-protocol", default="AES")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--rated-w", type=float, help="UPS rating (W), when it reports only load")
    p.add_argument("--rated-va", type=float, help="UPS rating (VA), when it reports only load")
    p.add_argument("--power-factor", type=float, help="applied to --rated-va (default 0.9)")
    p.add_argument(
        "--discover", action="store_true", help="list every known MIB family that answers"
    )

    p = sub.add_parser("profile", help="SNMP device profiles")
    psub = p.add_subparsers(dest="profile_command", required=True)
    q = psub.add_parser("new", help="write a starting profile TOML from a recorded walk")
    q.add_argument("walk", type=Path, help="an snmpsim .snmprec recording of the device")
    q.add_argument("--name", help="profile name, lower_snake_case")
    q.add_argument("--vendor")
    q.add_argument("--kind", help="pdu | ups | poe_midspan | switch | facility_meter")
    q.add_argument("--mib", help="the MIB the objects were read from (cited in the file)")
    q.add_argument("--power-oid", help="numeric OID of the total power (scalar or column)")
    q.add_argument("--multiplier", type=float, default=1.0)
    q.add_argument("--divisor", type=float, default=1.0)
    q.add_argument("--energy-oid", help="numeric OID of an energy register, if any")
    q.add_argument("--energy-unit", default="Wh", help="Wh | kWh | 0.1kWh | 0.01kWh")
    q.add_argument("--output", type=Path, help="default: collector/snmp/profiles/<name>.toml")

    p = sub.add_parser("report", help="write the energy report from the ledger")
    _config_arg(p)
    when = p.add_mutually_exclusive_group()
    when.add_argument("--quarter", help="a civil quarter: 2026-Q3 or 2026-T3")
    when.add_argument("--year", help="a civil year: 2026")
    when.add_argument("--from", dest="first", metavar="DAY", help="first day (with --to)")
    when.add_argument("--days", type=float, default=None, help="the last N days (default 7)")
    p.add_argument("--to", dest="last", metavar="DAY", help="last day, inclusive (with --from)")
    p.add_argument("--format", default="csv,json,html", help="csv,json,html (period forms)")
    p.add_argument("--lang", choices=["fr", "en"], default=None, help="default: [reports] lang")
    p.add_argument("--public", action="store_true", help="the public yearly page: aggregates")
    p.add_argument("--out", "--output", dest="output", type=Path, default=Path("report-output"))

    p = sub.add_parser(
        "import-inventory", help="import the inventory from GLPI (a dry run unless --apply)"
    )
    _config_arg(p)
    p.add_argument(
        "--csv",
        nargs=2,
        action="append",
        default=[],
        metavar=("ITEMTYPE", "FILE"),
        help="a GLPI CSV export of Computer, Monitor, NetworkEquipment or PDU (repeatable)",
    )
    p.add_argument("--api", action="store_true", help="read GLPI's REST API ([glpi] in config)")
    p.add_argument("--mapping", type=Path, help="GLPI mapping file (default: glpi.mapping)")
    p.add_argument("--inventory", type=Path, help="inventory to update (default: inventory)")
    p.add_argument("--apply", action="store_true", help="write the inventory (default: dry run)")

    p = sub.add_parser("test-alerts", help="send a test alert through every configured channel")
    _config_arg(p)

    p = sub.add_parser(
        "import-meter", help="import hosted datacentres' facility and IT kWh per period (CSV)"
    )
    _config_arg(p)
    p.add_argument("file", type=Path, help="the operator's CSV (columns: see the README)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from collector import redact

    redact.install()  # URL passwords from the start; the config's secrets once it is read
    try:
        if hasattr(args, "config"):  # every command that reads the config: mask its secrets
            from collector.config import load_config

            redact.install(redact.model_secrets(load_config(args.config)))
        return _dispatch(args)
    except ConfigError as exc:
        print(f"configuration error in {exc.source}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "schema":
        from contract.schema import Telemetry

        print(json.dumps(Telemetry.model_json_schema(by_alias=True), indent=2))
        return 0
    if args.command == "check-config":
        from collector.commands import check_config

        return check_config(args.config)
    if args.command == "dead-letters":
        from collector.commands import dead_letters

        return dead_letters(args.config, args.limit, args.json)
    if args.command == "devices":
        from collector.commands import devices

        return devices(args.config, args.json)
    if args.command == "violations":
        from collector.policy_commands import violations

        return violations(
            args.config,
            since=args.since,
            domain=args.domain,
            states=args.state,
            as_json=args.json,
        )
    if args.command == "exempt":
        from collector.policy_commands import exempt

        return exempt(
            args.config,
            args.target,
            until=args.until,
            reason=args.reason,
            group=args.group,
            by=args.by,
        )
    if args.command == "exemptions":
        from collector.policy_commands import exemptions

        return exemptions(args.config, args.json)
    if args.command == "poll":
        return _poll(args)
    if args.command == "profile":
        from collector.snmp.newprofile import new_profile_command

        return new_profile_command(args)
    if args.command == "run":
        from collector.app import run_service

        return run_service(args.config)
    if args.command == "report":
        return _report(args)
    if args.command == "import-inventory":
        return _import_inventory(args)
    if args.command == "import-meter":
        from collector.hosted.command import import_meter

        return import_meter(args.config, args.file)
    if args.command == "test-alerts":
        from collector.commands import check_alerts

        return check_alerts(args.config)
    if args.command == "demo":
        from collector.demo import run_demo

        return run_demo(
            output=args.output,
            live_seconds=args.live_seconds,
            keep_running=args.keep_running,
            seed=args.seed,
            timeseries_url=args.timeseries_url,
            metrics_port=args.metrics_port,
            replay=timedelta(days=args.history_days),
        )
    raise AssertionError(args.command)


def _report(args: argparse.Namespace) -> int:
    if (args.first is None) != (args.last is None):
        raise ConfigError("report", ["--from and --to go together"])
    if args.quarter or args.year or args.first:
        from collector.report.command import report_command

        return report_command(
            args.config,
            out=args.output,
            formats=args.format,
            lang=args.lang,
            public=args.public,
            quarter=args.quarter,
            year=args.year,
            first=args.first,
            last=args.last,
        )
    from collector.commands import report

    return report(args.config, args.output, 7.0 if args.days is None else args.days)


def _import_inventory(args: argparse.Namespace) -> int:
    from collector.glpi.assets import ITEMTYPES
    from collector.glpi.command import CsvSource, import_inventory

    sources: list[CsvSource] = []
    for itemtype, file in args.csv:
        match = next((t for t in ITEMTYPES if t.lower() == itemtype.lower()), None)
        if match is None:
            raise ConfigError("--csv", [f"{itemtype!r}: itemtype is one of {', '.join(ITEMTYPES)}"])
        sources.append((match, Path(file)))
    return import_inventory(
        args.config,
        csv_sources=sources,
        api=args.api,
        mapping=args.mapping,
        inventory=args.inventory,
        apply=args.apply,
    )


def _poll(args: argparse.Namespace) -> int:
    from pydantic import SecretStr

    from collector import redact
    from collector.config import SnmpV3
    from collector.snmp.cli import poll_command
    from collector.snmp.discover import discover_command
    from collector.snmp.estimate import Rating

    redact.install(s for s in (args.community, args.v3_auth_key, args.v3_priv_key) if s)
    v3 = None
    if args.v3_user:
        if not (args.v3_auth_key and args.v3_priv_key):
            print("--v3-user needs --v3-auth-key and --v3-priv-key (authPriv)", file=sys.stderr)
            return 2
        v3 = SnmpV3(
            user=args.v3_user,
            auth_key=SecretStr(args.v3_auth_key),
            priv_key=SecretStr(args.v3_priv_key),
            auth_protocol=args.v3_auth_protocol,
            priv_protocol=args.v3_priv_protocol,
        )
    elif not args.community:
        print("give --community (SNMP v2c) or --v3-user (SNMP v3 authPriv)", file=sys.stderr)
        return 2
    rating = Rating(args.rated_w, args.rated_va, args.power_factor)
    command = discover_command if args.discover else poll_command
    return command(
        args.target,
        community=args.community,
        v3=v3,
        as_json=args.json,
        timeout=args.timeout,
        rating=rating,
    )


if __name__ == "__main__":
    sys.exit(main())
