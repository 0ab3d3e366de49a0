"""Reads GLPI's CSV export of a search (Assets > Computers, Monitors, Network devices, PDUs).

GLPI writes (``Glpi\\Search\\Output\\CSVSearchOutput``): a UTF-8 byte-order mark, then one line
per row in which every value is quoted and *followed* by the user's CSV delimiter (``;`` by
default, ``,`` if set in the user's preferences), so each line ends with a delimiter. A double
quote inside a value is written as two single quotes; several values in one cell are joined with
``<br>``. Column headers are the search options' labels in the user's language: the defaults
below know GLPI's French and English labels, and the mapping file can name others. One file holds
one itemtype (GLPI exports the search that is on screen), so the caller says which.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from collector.glpi.assets import Field, GlpiAsset, Itemtype
from collector.glpi.errors import RowProblem

#: Header labels of each field in GLPI's fr_FR and en_GB translations.
DEFAULT_COLUMNS: dict[Field, tuple[str, ...]] = {
    "name": ("Nom", "Name"),
    "id": ("ID",),
    "location": ("Lieu", "Location"),
    "type": ("Type",),
    "serial": ("Numéro de série", "Serial number"),
    "otherserial": ("Numéro d'inventaire", "Inventory number"),
    "status": ("Statut", "Status"),
    "entity": ("Entité", "Entity"),
    "uuid": ("UUID",),
}

_FIRST_HEADER = re.compile(r'^"(?:[^"]|"")*"([;,\t])')


@dataclass(frozen=True, slots=True)
class CsvExport:
    """What one export file gave: its assets, its refused lines, and the fields it has."""

    assets: list[GlpiAsset]
    problems: list[RowProblem]
    fields: frozenset[Field] = field(default_factory=frozenset)


def clean(value: object) -> str | None:
    """A GLPI cell as text: HTML entities decoded (GLPI 10 stores ``>`` as ``&#62;``),
    ``<br>``-joined values kept as one string, blanks as ``None``."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = [c for c in (clean(v) for v in value) if c]
        return "<br>".join(parts) or None
    text = html.unescape(str(value)).strip()
    return text or None


def _delimiter(first_line: str) -> str:
    m = _FIRST_HEADER.match(first_line)
    if m:
        return m.group(1)
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def read_csv_export(
    path: Path,
    itemtype: Itemtype,
    columns: Mapping[Field, Sequence[str]] = DEFAULT_COLUMNS,
) -> CsvExport:
    """Read one GLPI CSV export of ``itemtype``; bad lines are problems, never exceptions."""
    label = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return CsvExport([], [RowProblem(label, "file not found")])
    except (OSError, UnicodeDecodeError) as exc:
        return CsvExport([], [RowProblem(label, f"cannot read: {exc}")])
    lines = text.splitlines()
    if not lines:
        return CsvExport([], [RowProblem(label, "empty file, not a GLPI export")])
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    header = next(reader)
    if header and header[-1] == "":
        header = header[:-1]  # GLPI ends every line with the delimiter
    index: dict[Field, int] = {}
    for fld, labels in columns.items():
        for i, name in enumerate(header):
            if name.strip() in labels:
                index[fld] = i
                break
    if "name" not in index:
        wanted = ", ".join(repr(n) for n in columns.get("name", ()))
        return CsvExport(
            [], [RowProblem(f"{label} line 1", f"no name column (looked for {wanted})")]
        )
    assets: list[GlpiAsset] = []
    problems: list[RowProblem] = []
    for row in reader:
        where = f"{label} line {reader.line_num}"
        if row and row[-1] == "" and len(row) == len(header) + 1:
            row = row[:-1]
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(RowProblem(where, f"{len(row)} values, the header has {len(header)}"))
            continue
        values = {fld: clean(row[i]) for fld, i in index.items()}
        assets.append(
            GlpiAsset(
                itemtype=itemtype,
                where=where,
                name=values.get("name"),
                glpi_id=values.get("id"),
                location=values.get("location"),
                type=values.get("type"),
                serial=values.get("serial"),
                otherserial=values.get("otherserial"),
                status=values.get("status"),
                entity=values.get("entity"),
                uuid=values.get("uuid"),
            )
        )
    return CsvExport(assets, problems, frozenset(index))
