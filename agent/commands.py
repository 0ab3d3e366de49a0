"""Running OS commands (powercfg, systemd-inhibit, ipmitool...) and reading their text output.

Parsers never run anything: they take text. Sources and state probes take a ``CommandRunner``
(argv -> stdout text) so tests feed recorded outputs and production runs the real tool. The
default runner has a timeout and turns every failure into :class:`CommandError` with a kind
(``missing``, ``denied``, ``failed``, ``timeout``) that ``veille-agent check`` can explain.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Literal

CommandRunner = Callable[[Sequence[str]], str]

ErrorKind = Literal["missing", "denied", "failed", "timeout"]


class CommandError(RuntimeError):
    """A command could not run or failed; ``kind`` says which, ``detail`` says how."""

    def __init__(self, argv: Sequence[str], kind: ErrorKind, detail: str) -> None:
        self.argv = list(argv)
        self.kind = kind
        self.detail = detail
        super().__init__(f"{' '.join(self.argv)}: {kind}: {detail}")


def _encoding() -> str:
    # Windows console tools write in the OEM code page (cp850 on French systems).
    return "oem" if sys.platform == "win32" else "utf-8"


def run_command(argv: Sequence[str], timeout: float = 10.0) -> str:
    """Run ``argv`` without a shell, in the C locale on POSIX; return its stdout."""
    env = None
    if sys.platform != "win32":
        env = {**os.environ, "LC_ALL": "C.UTF-8", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""}
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            timeout=timeout,
            env=env,
            encoding=_encoding(),
            errors="replace",
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise CommandError(argv, "missing", f"{argv[0]} is not installed") from None
    except PermissionError as exc:
        raise CommandError(argv, "denied", str(exc)) from None
    except subprocess.TimeoutExpired:
        raise CommandError(argv, "timeout", f"no answer within {timeout:g} s") from None
    if proc.returncode != 0:
        err = (proc.stderr or proc.stdout).strip().splitlines()
        detail = err[-1] if err else f"exit status {proc.returncode}"
        low = detail.lower()
        kind: ErrorKind = (
            "denied"
            if "permission denied" in low or "access denied" in low or "accès refusé" in low
            else "failed"
        )
        raise CommandError(argv, kind, detail)
    return proc.stdout


def recorded(outputs: dict[tuple[str, ...], str | CommandError]) -> CommandRunner:
    """A runner that answers from recorded outputs (tests, and replaying a field report)."""

    def run(argv: Sequence[str]) -> str:
        answer = outputs.get(tuple(argv))
        if answer is None:
            raise CommandError(argv, "missing", "no recorded output for this command")
        if isinstance(answer, CommandError):
            raise answer
        return answer

    return run
