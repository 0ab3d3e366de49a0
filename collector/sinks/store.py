"""HTTP writes of line protocol to an InfluxDB-compatible store: the sink's only I/O.

``POST {url}/api/v2/write?org=&bucket=&precision=ns`` with ``Authorization: Token <token>``,
through influxdb-client's synchronous write API (no hidden buffering or retries: the caller
sees every failure). Connect and read timeouts are short so a down store fails in seconds.
Failures become an :class:`Outcome` and a one-line error text, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import urllib3
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS

from collector.config import TimeseriesSettings
from collector.sinks.lines import PRECISION

# The store will never take these batches as they are: drop them (counted) instead of retrying.
PERMANENT_STATUSES = frozenset({400, 413, 422})


class Outcome(Enum):
    OK = "ok"
    REJECTED = "rejected"  # permanent: the batch is dropped
    FAILED = "failed"  # transient (down, timeout, 5xx, auth): keep the batch for later


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    error: str | None = None


class LineStore:
    """One HTTP client to the store; used from a single thread."""

    def __init__(self, settings: TimeseriesSettings, timeout_seconds: float = 5.0) -> None:
        if not settings.url:
            raise ValueError("timeseries.url is not set")
        self._bucket = settings.bucket
        self._org = settings.org
        timeout_ms = int(timeout_seconds * 1000)
        self._client = InfluxDBClient(
            url=settings.url,
            token=settings.token.get_secret_value(),
            org=settings.org,
            timeout=(min(2000, timeout_ms), timeout_ms),  # (connect, read), milliseconds
        )
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def send(self, body: bytes) -> Result:
        """Write one batch of line protocol (nanosecond timestamps)."""
        try:
            self._write_api.write(
                bucket=self._bucket,
                org=self._org,
                record=body,
                write_precision=PRECISION,  # type: ignore[arg-type]
            )
        except InfluxDBError as exc:
            status = getattr(exc, "status", None)
            error = f"HTTP {status}: {str(exc).strip()[:500]}"
            if status in PERMANENT_STATUSES:
                return Result(Outcome.REJECTED, error)
            return Result(Outcome.FAILED, error)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return Result(Outcome.FAILED, f"{type(exc).__name__}: {exc}")
        return Result(Outcome.OK)

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]
