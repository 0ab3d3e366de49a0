"""The ledger's own errors: SQLAlchemy and driver exceptions, sorted by what the caller does.

::

    LedgerError
     +-- LedgerUnavailable   the database cannot take a write now (disk full, locked, down,
     |                       connection lost, schema missing): retry the same rows later,
     |                       acknowledge nothing
     +-- LedgerRefused       the database refused these rows (a constraint, a value it cannot
                             hold): split the batch, dead-letter the one row it refuses

:func:`translated` is the one place that maps driver errors to these two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa


class LedgerError(RuntimeError):
    """A ledger write failed; ``reason`` is one line naming the database's own message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LedgerUnavailable(LedgerError):
    """Transient: the same write may succeed later (disk full, locked, server down)."""


class LedgerRefused(LedgerError):
    """Permanent for these rows: the database will not store them as they are."""


# ProgrammingError is a missing table or column (migrations not run, a wrong database): the
# operator's to mend, and no row of a batch is to blame, so hold rather than dead-letter.
_UNAVAILABLE = (
    sa.OperationalError,
    sa.ProgrammingError,
    sa.InterfaceError,
    sa.DisconnectionError,
    sa.TimeoutError,
    OSError,
    MemoryError,
)


def _one_line(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0] if text else ''}".rstrip(": ")


def classify(exc: Exception) -> LedgerError:
    """The project's error for an exception raised while writing to the ledger."""
    if isinstance(exc, LedgerError):
        return exc
    if isinstance(exc, _UNAVAILABLE) or (
        isinstance(exc, sa.DBAPIError) and exc.connection_invalidated
    ):
        return LedgerUnavailable(_one_line(exc))
    return LedgerRefused(_one_line(exc))


@contextmanager
def translated() -> Iterator[None]:
    """Raise :class:`LedgerUnavailable` or :class:`LedgerRefused` instead of driver errors."""
    try:
        yield
    except LedgerError:
        raise
    except Exception as exc:  # every driver error becomes one of the two, with its message
        raise classify(exc) from exc
