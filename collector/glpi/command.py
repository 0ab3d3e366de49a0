"""``veille-collector import-inventory``: GLPI (CSV exports or the REST API) into the inventory.

A dry run unless ``--apply``: it prints what would be added, changed and removed. Any refused
row refuses the whole import, and the inventory file is then left exactly as it was; with
``--apply`` the file is replaced whole, atomically (:mod:`collector.glpi.write`).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from collector.config import CollectorConfig, load_config
from collector.glpi.api import GlpiClient
from collector.glpi.assets import GlpiAsset, Itemtype
from collector.glpi.csv_export import read_csv_export
from collector.glpi.diff import InventoryDiff, diff_inventories, render_diff
from collector.glpi.errors import GlpiError, RowProblem
from collector.glpi.mapping import GlpiMapping, load_mapping, map_assets
from collector.glpi.write import write_inventory
from collector.inventory import Device, Inventory, load_inventory
from contract.settings import ConfigError

CsvSource = tuple[Itemtype, Path]


@dataclass
class ImportPlan:
    """What an import would write, and why not if ``problems`` is not empty."""

    target: Path
    domains: tuple[str, ...]
    sources: list[str] = field(default_factory=list)
    read: Counter[str] = field(default_factory=Counter)
    devices: list[Device] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    diff: InventoryDiff = field(default_factory=InventoryDiff)

    def header(self) -> list[str]:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
        return [
            f"# Inventory imported from GLPI by `veille-collector import-inventory`, {now}.",
            f"# Sources: {', '.join(self.sources)}.",
            "# The next import rewrites this file: change the mapping or GLPI, not this file;",
            "# power profiles, exemptions and metered_by (where no rule sets it) are kept.",
        ]


def read_csv_sources(
    sources: Sequence[CsvSource], m: GlpiMapping, plan: ImportPlan
) -> list[GlpiAsset]:
    assets: list[GlpiAsset] = []
    for itemtype, path in sources:
        export = read_csv_export(path, itemtype, m.csv_columns())
        plan.sources.append(f"{path.name} ({itemtype})")
        plan.problems += export.problems
        if export.fields and m.device_id.source not in export.fields:
            reason = f"no {m.device_id.source} column, and the device id comes from it"
            plan.problems.append(RowProblem(path.name, reason))
            continue
        assets += export.assets
    return assets


def read_api(cfg: CollectorConfig, plan: ImportPlan) -> list[GlpiAsset]:
    """Every configured itemtype from GLPI's API; raises GlpiError (nothing is written)."""
    g = cfg.glpi
    if not g.url:
        raise ConfigError("collector config", ["glpi.url: needed for --api"])
    if not g.user_token.get_secret_value():
        raise ConfigError("collector config", ["glpi.user_token: needed (VEILLE_GLPI__USER_TOKEN)"])
    verify: bool | str = str(g.ca_file) if g.ca_file else True
    assets: list[GlpiAsset] = []
    with GlpiClient(
        g.url,
        g.user_token,
        g.app_token,
        page_size=g.page_size,
        timeout_seconds=g.timeout_seconds,
        verify=verify,
    ) as client:
        for itemtype in g.itemtypes:
            assets += client.search(itemtype)
    plan.sources.append(f"{g.url} ({', '.join(g.itemtypes)})")
    return assets


def plan_import(
    cfg: CollectorConfig, m: GlpiMapping, target: Path, assets: list[GlpiAsset], plan: ImportPlan
) -> ImportPlan:
    """Map, check and diff ``assets`` against the inventory at ``target`` (pure but the read)."""
    existing = load_inventory(target) if target.exists() else Inventory([])
    plan.domains = existing.domains
    plan.read.update(a.itemtype for a in assets)
    mapped = map_assets(assets, m, existing)
    plan.devices, plan.skipped, plan.kept = mapped.devices, mapped.skipped, mapped.kept
    plan.problems += mapped.problems
    for kind, rule in m.kind.items():
        if rule.policy_group and rule.policy_group not in cfg.policy.groups:
            reason = f"policy_group {rule.policy_group!r} is not defined in [policy.groups]"
            plan.problems.append(RowProblem(f"mapping kind.{kind}", reason))
    ids = {d.id for d in plan.devices}
    meters = sorted({d.metered_by for d in plan.devices if d.metered_by} - ids)
    plan.warnings += [
        f"metered_by {m!r} is no device of the inventory: the devices behind it count alone"
        for m in meters
    ]
    if not plan.problems:
        try:
            Inventory(plan.devices, existing.domains)
        except ConfigError as exc:
            plan.problems += [RowProblem("inventory", p) for p in exc.problems]
    plan.diff = diff_inventories(existing.devices, plan.devices)
    return plan


def print_plan(plan: ImportPlan, out: TextIO, limit: int | None = None) -> None:
    read = ", ".join(f"{n} {t}" for t, n in sorted(plan.read.items())) or "nothing"
    print(f"read from GLPI: {read} — {', '.join(plan.sources)}", file=out)
    for s in plan.skipped:
        print(f"  skipped {s}", file=out)
    if plan.kept:
        print(f"  kept (not in GLPI, listed in `keep`): {', '.join(plan.kept)}", file=out)
    for w in plan.warnings:
        print(f"  warning: {w}", file=out)
    if plan.problems:
        print(f"refused: {len(plan.problems)} problem(s); {plan.target} is unchanged", file=out)
        for p in plan.problems:
            print(f"  {p}", file=out)
        return
    print(render_diff(plan.diff, limit), file=out)


def import_inventory(
    config: Path | None,
    *,
    csv_sources: Sequence[CsvSource],
    api: bool,
    mapping: Path | None,
    inventory: Path | None,
    apply: bool,
    out: TextIO | None = None,
) -> int:
    """The command: 0 planned or written, 2 refused (config or rows), 1 GLPI unreachable."""
    out = out or sys.stdout
    cfg = load_config(config)
    mapping_path = mapping or cfg.glpi.mapping
    target = inventory or cfg.inventory
    missing = []
    if mapping_path is None:
        missing.append("glpi.mapping: give --mapping FILE or set it in the config")
    if target is None:
        missing.append("inventory: give --inventory FILE or set it in the config")
    if not csv_sources and not api:
        missing.append("give --csv ITEMTYPE FILE (repeatable) or --api")
    if missing:
        raise ConfigError("import-inventory", missing)
    assert mapping_path is not None and target is not None
    if target.suffix.lower() != ".toml":
        raise ConfigError("import-inventory", [f"inventory: {target} must be a .toml file"])
    m = load_mapping(mapping_path)
    plan = ImportPlan(target=target, domains=())
    assets = read_csv_sources(csv_sources, m, plan)
    if api:
        try:
            assets += read_api(cfg, plan)
        except GlpiError as exc:
            print(f"GLPI: {exc}; {target} is unchanged", file=out)
            return 1
    plan_import(cfg, m, target, assets, plan)
    print_plan(plan, out)
    if plan.problems:
        return 2
    if not apply:
        print(f"dry run: nothing written; --apply writes {target}", file=out)
        return 0
    try:
        write_inventory(target, plan.devices, plan.domains, plan.header())
    except (OSError, ValueError) as exc:
        print(f"cannot write {target}: {exc}; it is unchanged", file=out)
        return 1
    print(f"wrote {target}: {len(plan.devices)} devices", file=out)
    return 0
