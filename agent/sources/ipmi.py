"""Server input power from the BMC: ``ipmitool dcmi power reading`` -> ``power_watts``.

DCMI's instantaneous reading is the whole server at its power supplies' input, in watts, so
it is reported without a component. The text is parsed here; the command runs through a
``CommandRunner`` parameter (tests replay recorded outputs). A BMC whose power measurement is
"deactivated" and answers 0 W is treated as not measuring, never as a real zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agent.commands import CommandError, CommandRunner, run_command
from agent.sources.base import SourceUnavailable, reading
from contract.wire import Quality, Reading, utcnow

NAME = "ipmi"
COMMAND = ("ipmitool", "dcmi", "power", "reading")

_WATTS = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z ]+?):\s+(?P<value>\d+(?:\.\d+)?)\s+Watts", re.M)
_STATE = re.compile(r"Power reading state is:\s+(?P<state>\w+)", re.I)


@dataclass(frozen=True, slots=True)
class DcmiReading:
    """The figures of one ``dcmi power reading``, in watts."""

    instantaneous_watts: float
    minimum_watts: float | None
    maximum_watts: float | None
    average_watts: float | None
    activated: bool | None


def parse_dcmi_power_reading(text: str) -> DcmiReading:
    """Parse ipmitool's output; ValueError if there is no instantaneous reading."""
    values = {m["label"].strip().lower(): float(m["value"]) for m in _WATTS.finditer(text)}
    inst = values.get("instantaneous power reading")
    if inst is None:
        raise ValueError("no 'Instantaneous power reading' line in ipmitool output")
    state = _STATE.search(text)
    return DcmiReading(
        instantaneous_watts=inst,
        minimum_watts=values.get("minimum during sampling period"),
        maximum_watts=values.get("maximum during sampling period"),
        average_watts=values.get("average power reading over sample period"),
        activated=None if state is None else state["state"].lower() == "activated",
    )


class IpmiSource:
    """Whole-server power from the local BMC through ipmitool (in-band, /dev/ipmi0)."""

    def __init__(
        self,
        run: CommandRunner = run_command,
        *,
        dev_root: Path | None = Path("/dev"),
    ) -> None:
        self._run = run
        self._dev_root = dev_root

    def read(self) -> list[Reading]:
        if self._dev_root is not None and not any(self._dev_root.glob("ipmi*")):
            raise SourceUnavailable(
                f"no BMC device ({self._dev_root}/ipmi0 is missing)",
                "on a server with a BMC: `modprobe ipmi_devintf ipmi_si`; desktops have none",
                lasting=True,
            )
        try:
            text = self._run(COMMAND)
        except CommandError as exc:
            fixes = {
                "missing": "install ipmitool (`apt install ipmitool`, `dnf install ipmitool`)",
                "denied": "/dev/ipmi0 is root-only: see deploy/systemd/ipmi.conf (runs as root)",
                "timeout": "the BMC does not answer; check it with `ipmitool mc info`",
                "failed": "this BMC may not support DCMI; check `ipmitool dcmi discover`",
            }
            lasting = exc.kind in ("missing", "denied")  # a timeout or a failure: next round
            raise SourceUnavailable(str(exc), fixes[exc.kind], lasting=lasting) from None
        try:
            dcmi = parse_dcmi_power_reading(text)
        except ValueError as exc:
            raise SourceUnavailable(
                str(exc), "check `ipmitool dcmi power reading` by hand"
            ) from None
        if dcmi.instantaneous_watts <= 0 and dcmi.activated is not True:
            raise SourceUnavailable(
                "the BMC's power measurement is deactivated (it answers 0 W)",
                "enable power monitoring in the BMC (iDRAC, iLO, XClarity) settings",
            )
        return [reading(utcnow(), "power_watts", dcmi.instantaneous_watts, NAME, Quality.MEASURED)]
