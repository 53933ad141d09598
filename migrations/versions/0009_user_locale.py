"""users.locale: the language a user chose for the pages (nl or en)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=5), nullable=True))
        batch.create_check_constraint("locale_valid", "locale IS NULL OR locale IN ('nl', 'en')")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_locale_valid"), type_="check")
        batch.drop_column("locale")
