"""Notes and labels that the analysis attaches to its figures (PUE notes, categories, sources),
as English text that also carries a key and its fields, so that a report in another language
says the same thing in its own words (the catalogue ``collector/report/labels.toml`` has a
``note_<key>`` label for every key of :data:`ENGLISH`; a test checks it).

A :class:`Note` *is* its English text (a ``str``): the text report, the CSV and the JSON print
it unchanged; :meth:`collector.report.i18n.Labels.text` translates it.
"""

from __future__ import annotations

#: key -> English template (``str.format`` fields)
ENGLISH: dict[str, str] = {
    "category_1": "category 1 (UPS output)",
    "category_2": "category 2 (PDU output)",
    "category_3": "category 3 (IT equipment input)",
    "category_none": "no IT meter",
    "category_imported": "category not stated (imported figures)",
    "mixed_categories": "mixed IT measurement points (categories {cats}): labelled the lowest",
    "no_facility": "no facility meter: PUE needs E_DC",
    "interim": "interim: period shorter than 12 months",
    "estimated": "{kwh:.1f} kWh of the energies are estimated, not measured",
    "missing_hours": "{meter}: {hours} h without complete data",
    "more_missing": "and {count} more meters with missing hours",
    "market_unknown": (
        "market-based carbon unknown: contract shares add up to {total:g}, more than 1"
    ),
    "contracts": "REF and market-based carbon from supply contracts: {listed}",
    "no_contract": "market-based: no supply contract, all at the residual factor {factor}",
    "residual_share": "{share:.0%} of the energy at the residual factor {factor}",
    "pro_rata": (
        "pro rata: {operator}'s period {start} → {end} counted for {inside:g} h of "
        "{whole:g} h ({share:.1%})"
    ),
    "no_imported": "no imported figures for this period",
    "ref_unknown_imported": "REF unknown: renewable_kwh missing for some periods",
    "heat_reuse": "ERF from heat-reuse meters: {meters}",
    "heat_reuse_partial": "ERF from heat-reuse meters: {meters}, over {hours} of {matched} h",
    "source_metered": "metered by veille",
    "source_imported": "imported from {operators}",
    "source_imported_none": "imported (none)",
}

Field = str | int | float


class Note(str):
    """English text with its catalogue ``key`` and ``fields`` (name, value)."""

    key: str
    fields: tuple[tuple[str, Field], ...]

    def __new__(cls, key: str, **fields: Field) -> Note:
        note = super().__new__(cls, ENGLISH[key].format(**fields))
        note.key = key
        note.fields = tuple(fields.items())
        return note

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.key, self.fields))


def _rebuild(key: str, fields: tuple[tuple[str, Field], ...]) -> Note:
    return Note(key, **dict(fields))
