"""The run loop's one blocking wait: until the next round, a resume from sleep, or a stop.

On Linux the kernel itself says when the machine resumes: a ``timerfd`` on CLOCK_REALTIME
armed with ``TFD_TIMER_CANCEL_ON_SET`` becomes readable (its read fails with ECANCELED) when
the wall clock is set and on every resume from suspend (``timekeeping_resume`` notifies
timerfd: "resume is equivalent to clock_was_set"). The loop then sleeps in one ``select`` on
that fd and a self-pipe (:meth:`Waiter.wake`, for a stop) until the next round: no wake-up
between rounds, and a resume is seen as soon as the agent is thawed instead of within 5 s.
A clock step (NTP, an administrator) wakes it too; the sleep detector's two clocks then tell
that no sleep happened. Elsewhere (Windows, or a Linux where ``timerfd_create`` is refused)
the loop wakes every :data:`POLL_SECONDS` to compare the clocks, as before.

Python 3.11 has no ``os.timerfd_create`` (3.13 has): the two calls go through ctypes.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import sys
import threading
import time

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
"""Without a timerfd: how often the loop compares the clocks between rounds."""

_CLOCK_REALTIME = 0
_TFD_NONBLOCK = 0o4000
_TFD_CLOEXEC = 0o2000000
_TFD_TIMER_ABSTIME = 1
_TFD_TIMER_CANCEL_ON_SET = 2


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def clock_set_fd() -> int | None:
    """A non-blocking fd that becomes readable when CLOCK_REALTIME jumps (a resume, a clock
    step); None where the kernel or the platform has none (the caller polls instead)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = int(libc.timerfd_create(_CLOCK_REALTIME, _TFD_NONBLOCK | _TFD_CLOEXEC))
    except (OSError, AttributeError) as exc:
        log.info("no timerfd (%s): looking for a resume every %g s", exc, POLL_SECONDS)
        return None
    if fd < 0:
        log.info("timerfd_create refused (%s): looking for a resume every %g s",
                 os.strerror(ctypes.get_errno()), POLL_SECONDS)  # fmt: skip
        return None
    if not _arm(libc, fd):
        os.close(fd)
        return None
    return fd


def _arm(libc: ctypes.CDLL, fd: int) -> bool:
    """Arm ``fd`` to expire far in the future: only a clock jump makes it readable."""
    far = min(int(time.time()) + 10 * 365 * 86400, 2**31 - 1)
    spec = _Itimerspec(_Timespec(0, 0), _Timespec(far, 0))
    flags = _TFD_TIMER_ABSTIME | _TFD_TIMER_CANCEL_ON_SET
    if libc.timerfd_settime(fd, flags, ctypes.byref(spec), None) != 0:
        log.info("timerfd_settime refused (%s): looking for a resume every %g s",
                 os.strerror(ctypes.get_errno()), POLL_SECONDS)  # fmt: skip
        return False
    return True


class Waiter:
    """Blocks until a timeout, a clock jump (``clock_fd``) or :meth:`wake`, whichever first.

    ``clock_fd``: :func:`clock_set_fd`'s (:func:`system_waiter`), a pipe's read end in tests,
    None to poll.
    """

    def __init__(self, clock_fd: int | None) -> None:
        self.clock_fd = clock_fd
        self._woken = threading.Event()  # polling: no pipe (Windows cannot select on one)
        self._pipe: tuple[int, int] | None = None
        if clock_fd is not None:
            self._pipe = os.pipe()
            for fd in self._pipe:
                os.set_blocking(fd, False)

    @property
    def polls(self) -> bool:
        """True when there is no clock fd: the caller must compare the clocks itself."""
        return self.clock_fd is None

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` s; True if the clock jumped (look for a sleep now).

        Without a clock fd the sleep is at most :data:`POLL_SECONDS` and the answer is True
        each time (the caller compares the clocks)."""
        if self.clock_fd is None or self._pipe is None:
            self._woken.wait(max(0.0, min(timeout, POLL_SECONDS)))
            self._woken.clear()
            return True
        wake_r = self._pipe[0]
        ready, _, _ = select.select([self.clock_fd, wake_r], [], [], max(0.0, timeout))
        self._drain(wake_r)
        if self.clock_fd in ready:
            self._drain(self.clock_fd)
            return True
        return False

    def wake(self) -> None:
        """Make a pending or the next :meth:`wait` return at once (safe in a signal handler)."""
        self._woken.set()
        if self._pipe is not None:
            with contextlib.suppress(OSError):  # full: a wake-up is already pending
                os.write(self._pipe[1], b"\0")

    def close(self) -> None:
        fds = [self.clock_fd, *(self._pipe or ())]
        self.clock_fd = self._pipe = None
        for fd in fds:
            if fd is not None:
                os.close(fd)

    @staticmethod
    def _drain(fd: int) -> None:
        try:
            while os.read(fd, 512):
                pass
        except BlockingIOError:
            pass
        except OSError:
            pass  # ECANCELED: the timerfd's way of saying the clock was set; it stays armed


def system_waiter() -> Waiter:
    """A waiter on this host's clock-jump fd, or a polling one where there is none."""
    return Waiter(clock_set_fd())
