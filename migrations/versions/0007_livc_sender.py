"""referrals.from_livc_id: a LIVC decision's referral is sent by the LIVC, not by its
chair's organisation (from_organisation_id becomes nullable; exactly one sender)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("from_livc_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(op.f("fk_referrals_from_livc_id"), "livcs",
                                 ["from_livc_id"], ["id"])
        batch.alter_column("from_organisation_id", existing_type=sa.Uuid(), nullable=True)
        batch.create_check_constraint(
            "one_sender", "(from_organisation_id IS NULL) <> (from_livc_id IS NULL)")


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_constraint(op.f("ck_referrals_one_sender"), type_="check")
        batch.alter_column("from_organisation_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_constraint(op.f("fk_referrals_from_livc_id"), type_="foreignkey")
        batch.drop_column("from_livc_id")
