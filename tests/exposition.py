"""Read a Prometheus text exposition the way a scraper does, failing on a duplicate series."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value; AssertionError if one appears twice."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            assert key not in out, f"duplicate series {key} ({out[key]} and {s.value})"
            out[key] = s.value
    return out
