"""The embedded broker counts amqtt's late-PUBACK tracebacks instead of printing each one."""

from __future__ import annotations

import logging
import sys

from collector.broker import _LateAcks


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        info = sys.exc_info()
    return logging.LogRecord("amqtt.broker", logging.ERROR, __file__, 1, "Task failed", (), info)


def test_late_pubacks_are_counted_other_errors_pass() -> None:
    late = _LateAcks()
    assert late.filter(_record(TimeoutError("Timeout waiting for PUBACK for packet ID 7"))) is False
    assert late.filter(_record(TimeoutError("connect timed out"))) is True
    assert late.filter(_record(ValueError("PUBACK"))) is True
    plain = logging.LogRecord("amqtt.broker", logging.ERROR, __file__, 1, "no exc", (), None)
    assert late.filter(plain) is True
    assert late.count == 1
