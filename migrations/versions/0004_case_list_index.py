"""cases(opened_at, id): the case list's order, read backwards, stops after one page

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On a large PostgreSQL table run this step by hand first with CREATE INDEX CONCURRENTLY
    # (docs/OPERATIONS.md, "Upgrading"): a plain CREATE INDEX blocks writes to cases while it
    # builds (about a second per 100k cases here).
    op.create_index("ix_cases_opened_at_id", "cases", ["opened_at", "id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_cases_opened_at_id", table_name="cases")
