"""Row-level rules of a profile's SNMP objects: numeric OIDs, scaling columns, row tests.

A table column's rows are scaled by, and filtered on, other columns read at the same row
index (ENTITY-SENSOR: the sensor's type, scale and precision; ENTITY-MIB: its description).
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from collector.snmp.snmprec import format_oid, parse_oid


def _numeric_oid(text: str) -> str:
    return format_oid(parse_oid(text))


NumericOid = Annotated[str, AfterValidator(_numeric_oid)]


class SpecModel(BaseModel):
    """Profile parts: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Scaling(SpecModel):
    """A column read at the same row index as the value, that scales it.

    ``decimal_digits``: divide by 10**v (Raritan decimalDigits, ENTITY-SENSOR precision);
    ``power10``: multiply by 10**v (EMAN UnitMultiplier);
    ``entity_scale``: multiply by 10**(3*(v-9)) (ENTITY-SENSOR scale: units(9), kilo(10)).
    """

    column: NumericOid
    rule: Literal["decimal_digits", "power10", "entity_scale"]


class RowFilter(SpecModel):
    """A test on ``column`` at the same row index: ``equals`` an integer, or (a string column)
    ``matches`` a regular expression, searched case-insensitively. A missing value fails."""

    column: NumericOid
    equals: int | None = None
    matches: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> RowFilter:
        if (self.equals is None) == (self.matches is None):
            raise ValueError("give exactly one of equals or matches")
        if self.matches is not None:
            try:
                _pattern(self.matches)
            except re.error as exc:
                raise ValueError(f"matches: not a regular expression ({exc})") from None
        return self

    def holds(self, value: object) -> bool:
        if self.matches is not None:
            return isinstance(value, str) and _pattern(self.matches).search(value) is not None
        return isinstance(value, int) and value == self.equals


@functools.lru_cache(maxsize=64)
def _pattern(expr: str) -> re.Pattern[str]:
    return re.compile(expr, re.IGNORECASE)
