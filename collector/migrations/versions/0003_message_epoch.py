"""message identity: agent epoch and content hash

A message's key becomes (device_id, epoch, seq): an agent whose spool was recreated starts
again at seq 0 under a new epoch, and that is new data. ``content_hash`` (sha256 of the payload)
tells a resend (same hash: a duplicate) from a conflict (another hash: a dead letter). Rows
from before keep epoch "" and no hash. ``devices.epoch`` is the epoch of the newest message.

Revision ID: 0003_message_epoch
Revises: 0011_sleep_states (the head of main when this was rebased; the id keeps its number)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_message_epoch"
down_revision = "0011_sleep_states"
branch_labels = None
depends_on = None


def _rebuild_messages(key: list[str], with_new_columns: bool, copy: str) -> None:
    """Copy ``messages`` into a table with another primary key (both SQLite and PostgreSQL)."""
    extra = (
        [
            sa.Column("epoch", sa.String(length=64), nullable=False, server_default=""),
            sa.Column("content_hash", sa.String(length=64), nullable=True),
        ]
        if with_new_columns
        else []
    )
    op.create_table(
        "messages_new",
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint(*key),
    )
    op.execute(copy)
    op.drop_table("messages")
    op.rename_table("messages_new", "messages")


def upgrade() -> None:
    _rebuild_messages(
        ["device_id", "epoch", "seq"],
        True,
        "INSERT INTO messages_new (device_id, epoch, seq, received_at) "
        "SELECT device_id, '', seq, received_at FROM messages",
    )
    op.add_column("devices", sa.Column("epoch", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("epoch")
    # the old key (device_id, seq) cannot hold two epochs: keep the messages of no epoch
    _rebuild_messages(
        ["device_id", "seq"],
        False,
        "INSERT INTO messages_new (device_id, seq, received_at) "
        "SELECT device_id, seq, received_at FROM messages WHERE epoch = ''",
    )
