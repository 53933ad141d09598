"""TOTP: the secret's data key, a pending secret and the last accepted time step

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_data_key_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('totp_pending_encrypted', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_totp_data_key_id'), 'data_keys',
                                    ['totp_data_key_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_totp_data_key_id'), type_='foreignkey')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_pending_encrypted')
        batch_op.drop_column('totp_data_key_id')
