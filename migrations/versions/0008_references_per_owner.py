"""reference_counters per LIVC, owner organisation and year: a case's reference no longer
counts the other organisations' cases of the LIVC

References made from now on carry the owner's tag (GENT-2026-3FA9C2-0001), so they cannot
meet the LIVC-wide numbers given before (GENT-2026-0042): the old counters are dropped.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("reference_counters")
    op.create_table(
        "reference_counters",
        sa.Column("livc_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["livc_id"], ["livcs.id"],
                                name=op.f("fk_reference_counters_livc_id")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_reference_counters_organisation_id")),
        sa.PrimaryKeyConstraint("livc_id", "organisation_id", "year",
                                name=op.f("pk_reference_counters")),
    )


def downgrade() -> None:
    op.drop_table("reference_counters")
    op.create_table(
        "reference_counters",
        sa.Column("livc_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["livc_id"], ["livcs.id"],
                                name=op.f("fk_reference_counters_livc_id")),
        sa.PrimaryKeyConstraint("livc_id", "year", name=op.f("pk_reference_counters")),
    )
