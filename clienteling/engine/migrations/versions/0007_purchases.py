"""purchases, and the profile's lifetime spend and last purchase

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:45:00

SPEC 3.8 (issue 17): a ``purchases`` table (a sale, or a return naming the sale it returns),
unique on (store, receipt ref) so the same receipt reported twice is one purchase (P4); the
profile gains ``lifetime_spend`` (whole cents, never below zero) and ``last_purchase_at``,
which the purchase service moves in the purchase's own transaction (P3). Existing profiles
start at zero spend: nothing recorded purchases before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clienteling.engine.types import Money, UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("lifetime_spend", Money(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_purchase_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "purchases",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("profile_id", sa.String(36), nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("staff_id", sa.String(36), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("receipt_ref", sa.String(128), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.Column("eligible_spend", Money(), nullable=False),
        sa.Column("returns_purchase_id", sa.String(36), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"],
                                name=op.f("fk_purchases_profile_id_profiles")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"],
                                name=op.f("fk_purchases_store_id_stores")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_purchases_staff_id_staff")),
        sa.ForeignKeyConstraint(["returns_purchase_id"], ["purchases.id"],
                                name=op.f("fk_purchases_returns_purchase_id_purchases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchases")),
        sa.UniqueConstraint("store_id", "receipt_ref", name="uq_purchases_store_receipt"),
    )
    op.create_index("ix_purchases_profile_id", "purchases", ["profile_id"])
    op.create_index("ix_purchases_returns_purchase_id", "purchases", ["returns_purchase_id"])


def downgrade() -> None:
    op.drop_index("ix_purchases_returns_purchase_id", table_name="purchases")
    op.drop_index("ix_purchases_profile_id", table_name="purchases")
    op.drop_table("purchases")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("last_purchase_at")
        batch.drop_column("lifetime_spend")
