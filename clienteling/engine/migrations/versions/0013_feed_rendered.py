"""the change feed keeps each entry it rendered; the hub's failed token checks are counted in
the database

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-06 10:40:00

``change_log.entry``: the feed entry as every device receives it, stored by the first reader
of its page (``engine.services.feed``), so a thousand tills reading a change cost one render,
not a thousand (issue 19). Existing rows stay NULL and are rendered and stored when first
read.

``token_failures`` / ``token_turns``: the failure throttle's counts and rationed turns, so
that several hub processes on one PostgreSQL database share them (``hub.throttle``). A
SQLite hub (one process) keeps them in memory and leaves these tables empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_log") as batch:
        batch.add_column(sa.Column("entry", sa.Text(), nullable=True))
    op.create_table(
        "token_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_failures")),
    )
    op.create_index("ix_token_failures_key_at", "token_failures", ["key", "at"])
    op.create_index("ix_token_failures_at", "token_failures", ["at"])
    op.create_table(
        "token_turns",
        sa.Column("lookup", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("lookup", name=op.f("pk_token_turns")),
    )


def downgrade() -> None:
    op.drop_table("token_turns")
    op.drop_index("ix_token_failures_at", table_name="token_failures")
    op.drop_index("ix_token_failures_key_at", table_name="token_failures")
    op.drop_table("token_failures")
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("entry")
