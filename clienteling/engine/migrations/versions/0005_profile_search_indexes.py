"""profile search reads names in order from covering indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:10:00

A one-word search is a first-name prefix OR a last-name prefix, shown in (name_key, id)
order (SPEC §5 profile lookup, §8 search ≤ 10 ms at 1,000,000 profiles). The single-column
indexes made every match a table read and every match sorted before the page was cut
(issue 10). These replace them:

- ``ix_profiles_by_name`` (name_key, id, last_name_key): a name-prefix page is read in
  result order and stops after a page; walking it in order while filtering on the last
  name finds a page of a common last name without touching the table.
- ``ix_profiles_by_last_name`` (last_name_key, name_key, id): counts a last-name prefix and
  sorts a rare one's matches from the index alone.

Each new index starts with the column of the index it replaces, so every other query that
used the old ones keeps an index.
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_profiles_name_key", table_name="profiles")
    op.drop_index("ix_profiles_last_name_key", table_name="profiles")
    op.create_index("ix_profiles_by_name", "profiles", ["name_key", "id", "last_name_key"])
    op.create_index("ix_profiles_by_last_name", "profiles", ["last_name_key", "name_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_profiles_by_last_name", table_name="profiles")
    op.drop_index("ix_profiles_by_name", table_name="profiles")
    op.create_index("ix_profiles_last_name_key", "profiles", ["last_name_key"])
    op.create_index("ix_profiles_name_key", "profiles", ["name_key"])
