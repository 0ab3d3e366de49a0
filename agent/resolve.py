"""``python -m agent.resolve [--config agent.toml]``: check the configuration, print it as JSON.

Run by ``veille-agent run`` in a child process (:func:`agent.settings.load_run_config`), so
that the service itself never imports pydantic. Writes one JSON document on stdout, ``{"config":
{...}}`` (secrets in clear: stdout is the parent's pipe, never a terminal or a log) or
``{"error": {"source": ..., "problems": [...]}}``; the exit status is 0 or 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agent.config import load_agent_settings, resolved_json
from contract.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m agent.resolve", description=__doc__)
    p.add_argument("-c", "--config", type=Path)
    args = p.parse_args(argv)
    try:
        doc = {"config": resolved_json(load_agent_settings(args.config))}
        status = 0
    except ConfigError as exc:
        doc = {"error": {"source": exc.source, "problems": exc.problems}}
        status = 2
    sys.stdout.write(json.dumps(doc))
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
