"""Actions that follow through: a status (open, done, not possible, not done) with the
reason why, a history, carry-overs onto later meetings; notices of information held and
not shared

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

import referral.core.columns

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STATUSES = "'open', 'done', 'not_possible', 'not_done'"
REASONS = "'professional_secrecy', 'no_consent', 'not_proportionate', 'other'"


def upgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("status_reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("status_changed_at",
                                   referral.core.columns.UTCDateTime(timezone=True),
                                   nullable=True))
    # Until now an action was open or done.
    op.execute("UPDATE actions SET status = CASE WHEN done_at IS NULL THEN 'open' "
               "ELSE 'done' END, status_changed_at = done_at")
    with op.batch_alter_table("actions") as batch:
        batch.alter_column("status", existing_type=sa.String(length=20), nullable=False)
        batch.create_check_constraint("status_valid", f"status IN ({STATUSES})")
        batch.create_check_constraint(
            "why_not_recorded",
            "status NOT IN ('not_possible', 'not_done') OR status_reason IS NOT NULL")
        batch.create_check_constraint("done_recorded",
                                      "(status = 'done') = (done_at IS NOT NULL)")
        batch.create_index(batch.f("ix_actions_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "action_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=False),
        sa.Column("actor_organisation_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("at", referral.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"from_status IS NULL OR from_status IN ({STATUSES})",
                           name=op.f("ck_action_events_from_status_valid")),
        sa.CheckConstraint(f"to_status IN ({STATUSES})",
                           name=op.f("ck_action_events_to_status_valid")),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"],
                                name=op.f("fk_action_events_action_id")),
        sa.ForeignKeyConstraint(["actor_organisation_id"], ["organisations.id"],
                                name=op.f("fk_action_events_actor_organisation_id")),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"],
                                name=op.f("fk_action_events_actor_user_id")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_action_events_meeting_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_events")),
    )
    with op.batch_alter_table("action_events") as batch:
        batch.create_index(batch.f("ix_action_events_action_id"), ["action_id"], unique=False)

    op.create_table(
        "action_carry_overs",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("carried_at", referral.core.columns.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"],
                                name=op.f("fk_action_carry_overs_action_id")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE",
                                name=op.f("fk_action_carry_overs_meeting_id")),
        sa.PrimaryKeyConstraint("meeting_id", "action_id", name=op.f("pk_action_carry_overs")),
    )
    with op.batch_alter_table("action_carry_overs") as batch:
        batch.create_index(batch.f("ix_action_carry_overs_action_id"), ["action_id"],
                           unique=False)

    op.create_table(
        "withheld_notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("reason_category", sa.String(length=30), nullable=False),
        sa.Column("recorded_by_user_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", referral.core.columns.UTCDateTime(timezone=True),
                  nullable=False),
        sa.CheckConstraint(f"reason_category IN ({REASONS})",
                           name=op.f("ck_withheld_notices_reason_category_valid")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_withheld_notices_case_id")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_withheld_notices_meeting_id")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_withheld_notices_organisation_id")),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["users.id"],
                                name=op.f("fk_withheld_notices_recorded_by_user_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withheld_notices")),
        sa.UniqueConstraint("meeting_id", "case_id", "organisation_id",
                            name="withheld_once_per_organisation"),
    )
    with op.batch_alter_table("withheld_notices") as batch:
        batch.create_index(batch.f("ix_withheld_notices_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("withheld_notices")
    op.drop_table("action_carry_overs")
    op.drop_table("action_events")
    with op.batch_alter_table("actions") as batch:
        batch.drop_index(batch.f("ix_actions_meeting_id"))
        batch.drop_constraint(op.f("ck_actions_done_recorded"), type_="check")
        batch.drop_constraint(op.f("ck_actions_why_not_recorded"), type_="check")
        batch.drop_constraint(op.f("ck_actions_status_valid"), type_="check")
        batch.drop_column("status_changed_at")
        batch.drop_column("status_reason")
        batch.drop_column("status")
