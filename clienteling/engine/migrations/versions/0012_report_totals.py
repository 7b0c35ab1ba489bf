"""report_totals: the liability report's running totals, kept by triggers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:00:00

Liability read every live reward and benefit: 14.5 s for a manager at 1,000,000 profiles
(issue 18). The totals per kind × home store × definition × UTC expiry day and month
(``clienteling/engine/report_totals.py``) let it read a few thousand small rows instead.
Triggers on rewards, benefits and profiles.home_store_id keep them in every write's
transaction, whichever path writes (dialect-specific DDL: SQLite trigger bodies, PostgreSQL
plpgsql functions). The table is filled from the rows here.

Expiring soon gets covering indexes in place of 0008's (see upgrade), and one store's
customers an index (home_store_id, id).

It comes after 0011 (reactions), whose widening of benefits.source rebuilds that table on
SQLite: a migration that rebuilds rewards, benefits or profiles on SQLite (batch mode) drops
their triggers and must call ``report_totals.install`` again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clienteling.engine import report_totals

revision = '0012'
down_revision = '0011'
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
    op.create_table(
        "report_total_deltas",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(1), nullable=False),
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("bucket", sa.String(10), nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("definition_id", sa.String(36), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("unlimited", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    report_totals.install(op.get_bind())
    # Expiring soon reads a window of expiries and groups it per customer: with every column
    # it reads in the index, the window is read from the index alone (0008's indexes on
    # expires_at alone made each row a table read). Each still leads with expires_at.
    op.drop_index("ix_rewards_expires_at", table_name="rewards")
    op.drop_index("ix_benefits_expires_at", table_name="benefits")
    op.create_index("ix_rewards_expiring", "rewards", [
        "expires_at", "profile_id", "is_active", "value_remaining", "reward_definition_id"])
    op.create_index("ix_benefits_expiring", "benefits", [
        "expires_at", "profile_id", "redemptions_remaining", "benefit_definition_id"])
    # One store's customers as a list read from an index, not a scan of every profile.
    op.create_index("ix_profiles_home_store", "profiles", ["home_store_id", "id"])
    # The reactions report reads only what reactions issued (RX5): partial indexes hold just
    # those instances, so the millions issued by hand cost nothing to skip or to write.
    # They cover what the report reads of each, so it never reads the table.
    for table, columns in (("benefits", ["source", "profile_id", "expires_at", "id"]),
                           ("rewards", ["source", "profile_id", "expires_at", "value_initial",
                                        "value_remaining"])):
        where = sa.text(f"{table}.source LIKE 'reaction:%'")
        op.create_index(f"ix_{table}_by_reaction", table, columns,
                        sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_rewards_by_reaction", table_name="rewards")
    op.drop_index("ix_benefits_by_reaction", table_name="benefits")
    op.drop_index("ix_profiles_home_store", table_name="profiles")
    op.drop_index("ix_benefits_expiring", table_name="benefits")
    op.drop_index("ix_rewards_expiring", table_name="rewards")
    op.create_index("ix_benefits_expires_at", "benefits", ["expires_at"])
    op.create_index("ix_rewards_expires_at", "rewards", ["expires_at"])
    report_totals.uninstall(op.get_bind())
    op.drop_table("report_total_deltas")
    op.drop_table("report_totals")
