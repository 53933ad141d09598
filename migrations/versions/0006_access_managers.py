"""role_assignments: the access_manager and regional_analyst roles

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD = "role IN ('reference_person', 'case_worker', 'livc_chair', 'livc_coordinator', 'livc_member', 'police_information_officer', 'auditor', 'dpo', 'admin')"
NEW = "role IN ('reference_person', 'case_worker', 'livc_chair', 'livc_coordinator', 'livc_member', 'police_information_officer', 'auditor', 'dpo', 'admin', 'regional_analyst', 'access_manager')"


def _replace_check(condition: str) -> None:
    # Batch mode: SQLite rebuilds the table; PostgreSQL alters it in place.
    with op.batch_alter_table("role_assignments") as batch:
        batch.drop_constraint(op.f("ck_role_assignments_role_valid"), type_="check")
        batch.create_check_constraint("role_valid", condition)


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM role_assignments WHERE role IN "
               "('regional_analyst', 'access_manager')")
    _replace_check(OLD)
