"""The configuration error both sides raise at start-up (no pydantic, so the agent's running
process can raise and report it without importing pydantic)."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration file or value is wrong. ``problems`` lists 'key: reason' strings."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))
