"""login_throttles: failed logins of unknown usernames, so that the lockout answers them
like an existing account's

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import referral.core.columns

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("username_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", referral.core.columns.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column("updated_at", referral.core.columns.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint("username_key", name=op.f("pk_login_throttles")),
    )


def downgrade() -> None:
    op.drop_table("login_throttles")
