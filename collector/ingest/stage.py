"""One step of the ingestion pipeline on a thread of its own, fed through a bounded queue.

With the ledger's writes in a child process, the Ingestor runs three steps at once: one thread
validates the next batch, one waits for the writer to commit the batch before, and one sends
the batch before that to the time-series sink and acknowledges it. Each step hands its batch to
the next through a :class:`Stage`, in order; a full queue makes the step before it wait
(back-pressure), and a stage whose thread has stopped takes nothing more.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.5


class Stage(Generic[T]):
    """Runs ``work`` on every item put, in order, on thread ``name``. ``work`` returns False to
    stop the stage (the collector is stopping); :meth:`finish` stops it after what is queued."""

    def __init__(self, name: str, work: Callable[[T], bool], *, maxsize: int = 1) -> None:
        self._work = work
        self._queue: queue.Queue[T | None] = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, item: T) -> bool:
        """Queue ``item`` (waits while the queue is full); False once the stage has stopped,
        or before it was started."""
        return self._put(item)

    def finish(self) -> None:
        """No more items: the stage stops once it has done those queued."""
        self._put(None)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _put(self, item: T | None) -> bool:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or not self._work(item):
                return
