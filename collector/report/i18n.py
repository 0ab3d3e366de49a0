"""Labels (one catalog file, ``labels.toml``) and French/English number and date formats
(Babel, CLDR data): ``192,23`` and ``1 juillet 2026`` in French, ``192.23`` in English."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from collector.analysis.notes import Field, Note

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")
CATALOG = Path(__file__).with_name("labels.toml")
LOCALES: dict[Lang, str] = {"fr": "fr_FR", "en": "en_GB"}


@cache
def catalog() -> dict[str, dict[str, str]]:
    with CATALOG.open("rb") as fh:
        data = tomllib.load(fh)
    return {k: dict(v) for k, v in data.items()}


class Labels:
    """``t(key, **fields)``: the label in the report's language; numbers and dates formatted
    for its locale. ``None`` prints "non disponible" / "not available", never 0."""

    def __init__(self, lang: Lang) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
        self.lang = lang
        self.locale = LOCALES[lang]

    @property
    def colon(self) -> str:
        """French puts a (narrow no-break) space before a colon, English does not."""
        return "\u202f:" if self.lang == "fr" else ":"

    def __call__(self, key: str, **fields: object) -> str:
        text = catalog()[key][self.lang]
        return text.format(**fields) if fields else text

    def num(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return self("not_available")
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def pct(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return self("not_available")
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + " %"
        return format_percent(value, format=pattern, locale=self.locale)

    def signed_pct(self, value: float | None) -> str:
        if value is None:
            return self("not_available")
        text = self.pct(abs(value))
        return ("+" if value > 0 else "−" if value < 0 else "") + text

    def day(self, value: date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def text(self, value: str) -> str:
        """A :class:`Note` of the analysis (a PUE note, category or source) in the report's
        language, its numbers formatted by Babel; any other text unchanged."""
        if not isinstance(value, Note):
            return value
        return self(f"note_{value.key}", **{k: self._field(k, v) for k, v in value.fields})

    def _field(self, name: str, value: Field) -> str:
        if isinstance(value, str):
            return value
        if name == "share":
            return self.pct(value, 1)
        if name == "kwh":
            return self.num(value, 1)
        return format_decimal(value, locale=self.locale)

    def kind(self, name: str) -> str:
        """A device kind's label (``contract.kinds`` names), the name itself when unlisted."""
        entry = catalog().get(f"kind_{name}")
        return entry[self.lang] if entry else name

    def day_short(self, value: date) -> str:
        """``6 juil.`` / ``6 Jul``: a chart's axis."""
        return format_date(value, format="d MMM", locale=self.locale)
