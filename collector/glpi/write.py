"""Writes the inventory file whole or not at all: a temporary file in the same folder, read back
with :func:`collector.inventory.load_inventory`, flushed to disk, then renamed over the old one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from collector.domains import DOMAINS
from collector.inventory import Device, load_inventory
from collector.sim.inventory_out import devices_toml


def write_inventory(
    path: Path, devices: Sequence[Device], domains: Iterable[str], header: Iterable[str] = ()
) -> None:
    """Replace ``path`` (``.toml``) atomically; the old file stays as it was on any error."""
    if path.suffix.lower() != ".toml":
        raise ValueError(f"{path}: the import writes TOML inventories; name the file .toml")
    domains = tuple(domains)
    text = devices_toml(devices, header, None if domains == DOMAINS else domains)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".toml")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        check = load_inventory(tmp)  # what we wrote must read back as the same devices
        if list(check.devices.values()) != list(devices):
            raise ValueError(f"{path}: the written inventory does not read back the same")
        # mkstemp makes the file 0600: keep the old file's mode, else the usual 0644 (the
        # inventory holds no secret, and the collector may run as another user).
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
