"""device tokens carry the admin capability

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:50:00

Admin actions (definitions, staff) are accepted only from a device enrolled with the admin
capability (``clienteling hub token create --admin``), and only such a device receives the
admins' PIN hashes (issue 9, docs/security.md). Tokens made before this are tills: an admin
device must be enrolled anew.

Tills synced before this hold every staff member's PIN hash. On a hub (a database with
device tokens), every staff record is put in the change feed again, so each till's next
pull replaces the hashes outside its scope with the withheld marker.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from clienteling.engine.types import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_tokens") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    conn = op.get_bind()
    if not conn.execute(sa.text("SELECT count(*) FROM device_tokens")).scalar():
        return  # a till, or a hub no till has synced with yet
    log = sa.table("change_log", sa.column("entity_type", sa.String), sa.column("entity_id", sa.String),
                   sa.column("op", sa.String), sa.column("at", UTCDateTime(timezone=True)))
    now = datetime.now(UTC)
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM staff ORDER BY id"))]
    if ids:
        conn.execute(log.insert(), [{"entity_type": "staff", "entity_id": i, "op": "upsert",
                                     "at": now} for i in ids])


def downgrade() -> None:
    with op.batch_alter_table("device_tokens") as batch:
        batch.drop_column("is_admin")
