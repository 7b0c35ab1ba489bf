"""reactions, and an instance's source long enough to name one

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:50:00

SPEC 3.9 (issue 17): a ``reactions`` table (trigger, condition and effect as JSON, a limit,
an optional active window, on/off, archived, version). What a reaction issues says so in its
``source`` (``reaction:<handle>``, RX5): a benefit's ``source`` grows from 16 characters to
120 (a handle is up to 100), and a reward gains a ``source`` (``issued`` for every reward
issued before this revision: they were all issued by hand or imported).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clienteling.engine.types import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reactions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("handle", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=True),
        sa.Column("effect", sa.JSON(), nullable=False),
        sa.Column("limit", sa.String(16), nullable=False),
        sa.Column("active_from", UTCDateTime(timezone=True), nullable=True),
        sa.Column("active_to", UTCDateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reactions")),
        sa.UniqueConstraint("handle", name=op.f("uq_reactions_handle")),
    )
    with op.batch_alter_table("benefits") as batch:
        batch.alter_column("source", existing_type=sa.String(16), type_=sa.String(120),
                           existing_nullable=False)
    with op.batch_alter_table("rewards") as batch:
        batch.add_column(sa.Column("source", sa.String(120), nullable=False,
                                   server_default="issued"))


def downgrade() -> None:
    with op.batch_alter_table("rewards") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("benefits") as batch:
        batch.alter_column("source", existing_type=sa.String(120), type_=sa.String(16),
                           existing_nullable=False)
    op.drop_table("reactions")
