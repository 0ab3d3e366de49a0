"""The profiles README for newcomers: its examples load, and its `profile new` command works."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from collector.snmp.profiles import PROFILES_DIR, Profile

README = (PROFILES_DIR / "README.md").read_text()
ROOT = Path(__file__).parents[2]


def test_every_toml_example_is_a_valid_profile() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert len(blocks) == 2
    profiles = [Profile.model_validate(tomllib.loads(b)) for b in blocks]
    assert profiles[0].energy and profiles[1].estimate is not None


@pytest.mark.integration
def test_the_documented_profile_new_command_works(tmp_path: Path) -> None:
    marker = README.index("<!-- tested: profile-new")
    command = re.search(r"```sh\n(.*?)```", README[marker:], re.S)
    assert command is not None
    argv = shlex.split(command.group(1).replace("\\\n", " "))
    assert argv[:3] == ["veille-collector", "profile", "new"]
    out = tmp_path / "dell_ups_example.toml"
    argv = [str(out) if a == "/tmp/dell_ups_example.toml" else a for a in argv]
    res = subprocess.run(
        [sys.executable, "-m", "collector.cli", *argv[1:]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert f"wrote {out}: dell_ups_example reads 307 W from dell-ups.snmprec" in res.stdout
    assert Profile.model_validate(tomllib.loads(out.read_text())).name == "dell_ups_example"
