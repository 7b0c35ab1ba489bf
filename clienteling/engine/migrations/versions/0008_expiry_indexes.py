"""rewards and benefits by expiry, for the expiring-soon report

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:10:00

The expiring-soon report (issue 18, docs/reports.md) reads the rewards and benefits that expire
in the next N days. Without an index on ``expires_at`` that meant reading every reward and
benefit; with these it reads only the window.
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_rewards_expires_at", "rewards", ["expires_at"])
    op.create_index("ix_benefits_expires_at", "benefits", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_benefits_expires_at", table_name="benefits")
    op.drop_index("ix_rewards_expires_at", table_name="rewards")
