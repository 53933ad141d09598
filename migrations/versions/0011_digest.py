"""users.digest_rhythm and users.digest_sent_at: one "nothing peters out" digest per user
per day or week, as the user chooses

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

import referral.core.columns

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("digest_rhythm", sa.String(length=10), nullable=False,
                                   server_default="weekly"))
        batch.add_column(sa.Column("digest_sent_at", referral.core.columns.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.create_check_constraint("digest_rhythm_valid",
                                      "digest_rhythm IN ('daily', 'weekly', 'off')")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_digest_rhythm_valid"), type_="check")
        batch.drop_column("digest_sent_at")
        batch.drop_column("digest_rhythm")
