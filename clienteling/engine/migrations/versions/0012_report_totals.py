"""report_totals: the liability report's running totals, kept by triggers

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-06 11:00:00

Liability read every live reward and benefit: 14.5 s for a manager at 1,000,000 profiles
(issue 18). The totals per kind × home store × definition × UTC expiry day and month
(``clienteling/engine/report_totals.py``) let it read a few thousand small rows instead.
Triggers on rewards, benefits and profiles.home_store_id keep them in every write's
transaction, whichever path writes (dialect-specific DDL: SQLite trigger bodies, PostgreSQL
plpgsql functions). The table is filled from the rows here.

Another branch adds 0011; the integrator re-chains this one after it. A migration that
rebuilds rewards, benefits or profiles on SQLite (batch mode) drops their triggers and must
call ``report_totals.install`` again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clienteling.engine import report_totals

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_totals",
        sa.Column("kind", sa.String(1), nullable=False),
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("bucket", sa.String(10), nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("unlimited", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "grain", "bucket", "store_id", "definition_id"),
    )
    report_totals.install(op.get_bind())


def downgrade() -> None:
    report_totals.uninstall(op.get_bind())
    op.drop_table("report_totals")
