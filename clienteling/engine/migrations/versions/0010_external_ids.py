"""rewards get an external_id; both kinds of instance are found by it with an index

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06 09:20:00

``hub import`` brings opening balances from another system and upserts an issued benefit or
reward by that system's id (SPEC §7: "an instance by external_id"). Benefits had the column
(seed 002) but no index, so each imported row would have scanned every benefit; rewards had
neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rewards") as batch:
        batch.add_column(sa.Column("external_id", sa.String(128), nullable=True))
    op.create_index("ix_rewards_external_id", "rewards", ["external_id"])
    op.create_index("ix_benefits_external_id", "benefits", ["external_id"])


def downgrade() -> None:
    op.drop_index("ix_benefits_external_id", table_name="benefits")
    op.drop_index("ix_rewards_external_id", table_name="rewards")
    with op.batch_alter_table("rewards") as batch:
        batch.drop_column("external_id")
