"""What an import would do to the inventory: devices added, changed (field by field), removed.

Pure functions over :class:`collector.inventory.Device` lines; :func:`render_diff` makes the
table the dry run prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from collector.inventory import Device

FieldChange = tuple[str, object, object]


@dataclass(frozen=True, slots=True)
class Change:
    """One device whose fields differ: (field, old value, new value)."""

    device_id: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class InventoryDiff:
    added: list[Device] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Device] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} to add, {len(self.changed)} to change, "
            f"{len(self.removed)} to remove, {self.unchanged} unchanged"
        )


def diff_inventories(old: Mapping[str, Device], new: Sequence[Device]) -> InventoryDiff:
    """Compare the existing devices (by id) with the imported ones; order follows ``new``."""
    out = InventoryDiff()
    unchanged = 0
    new_ids = {d.id for d in new}
    for device in new:
        before = old.get(device.id)
        if before is None:
            out.added.append(device)
            continue
        a, b = before.model_dump(), device.model_dump()
        fields = tuple((k, a[k], b[k]) for k in b if a[k] != b[k])
        if fields:
            out.changed.append(Change(device.id, fields))
        else:
            unchanged += 1
    out.removed.extend(d for i, d in old.items() if i not in new_ids)
    return InventoryDiff(out.added, out.changed, out.removed, unchanged)


def _show(value: object) -> str:
    if value in (None, "", ()):
        return "-"
    if isinstance(value, tuple | list):
        return f"{len(value)} exemption(s)"
    return str(value)


def render_diff(d: InventoryDiff, limit: int | None = None) -> str:
    """A readable table: ``+`` added, ``~`` changed (old → new), ``-`` removed; ``limit`` rows
    per section at most (the rest is counted)."""
    lines = [f"   {'device':24} {'kind':14} {'domain':28} {'site':16} datacentre"]

    def section(rows: list[str]) -> None:
        shown = rows if limit is None else rows[:limit]
        lines.extend(shown)
        if len(rows) > len(shown):
            lines.append(f"   … and {len(rows) - len(shown)} more")

    def row(mark: str, dev: Device) -> str:
        return (
            f" {mark} {dev.id:24} {dev.kind:14} {dev.effective_domain:28} {_show(dev.site):16} "
            f"{_show(dev.datacentre)}"
        )

    section([row("+", dev) for dev in d.added])
    section(
        [
            f" ~ {c.device_id:24} "
            + "; ".join(f"{k}: {_show(a)} → {_show(b)}" for k, a, b in c.fields)
            for c in d.changed
        ]
    )
    section([row("-", dev) for dev in d.removed])
    lines.append(d.summary())
    return "\n".join(lines)
