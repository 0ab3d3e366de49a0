"""Schema migrations with Alembic, configured in code (no alembic.ini to ship or find).

``Ledger.migrate()`` runs ``upgrade head`` at start-up; the scripts live in
``collector/migrations/versions``. A new column is a new revision, never an edit of an old one.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the ledger behind ``engine`` to ``revision``."""
    command.upgrade(alembic_config(engine), revision)
