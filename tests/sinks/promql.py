"""Read back what the sink wrote, through VictoriaMetrics' Prometheus API."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


def export(
    url: str, match: str, start: float = 0, end: float | None = None
) -> list[dict[str, Any]]:
    """Raw samples of every series matching ``match`` (``/api/v1/export``, one JSON per line)."""
    params: dict[str, str | float] = {"match[]": match, "start": start}
    if end is not None:
        params["end"] = end
    with urllib.request.urlopen(
        f"{url}/api/v1/export?{urllib.parse.urlencode(params)}", timeout=30
    ) as resp:
        return [json.loads(line) for line in resp if line.strip()]


def query(url: str, expr: str, at: float) -> list[dict[str, Any]]:
    """An instant query evaluated at unix time ``at`` (``/api/v1/query``)."""
    params = urllib.parse.urlencode({"query": expr, "time": at})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=30) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result
