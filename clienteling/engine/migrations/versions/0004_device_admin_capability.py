"""device tokens carry the admin capability

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:50:00

Admin actions (definitions, staff) are accepted only from a device enrolled with the admin
capability (``clienteling hub token create --admin``), and only such a device receives the
admins' PIN hashes (issue 9, docs/security.md). Tokens made before this are tills: an admin
device must be enrolled anew.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_tokens") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("device_tokens") as batch:
        batch.drop_column("is_admin")
