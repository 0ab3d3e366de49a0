"""devices keep the sleep states the agent last reported (``powercfg /a``, ``/sys/power``)

Revision ID: 0011_sleep_states
Revises: 0006_alert_deliveries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_sleep_states"
down_revision = "0006_alert_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("sleep_states", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("sleep_states")
