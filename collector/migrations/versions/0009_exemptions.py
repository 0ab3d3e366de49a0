"""exemptions recorded by operators: device or policy group, until a day, reason, who and when

Revision ID: 0009_exemptions
Revises: 0004_hourly_coverage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_exemptions"
down_revision = "0004_hourly_coverage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exemptions",
        sa.Column(
            "id",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exemptions_target", "exemptions", ["target"])


def downgrade() -> None:
    op.drop_index("ix_exemptions_target", table_name="exemptions")
    op.drop_table("exemptions")
