"""alert deliveries: what each alert channel has delivered, so a restart never resends

Revision ID: 0006_alert_deliveries
Revises: 0010_policy_windows
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_alert_deliveries"
down_revision = "0010_policy_windows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "state", "channel"),
    )


def downgrade() -> None:
    op.drop_table("alert_deliveries")
