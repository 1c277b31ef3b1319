"""remote posts keep replies to unknown posts, quotes and polls

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy import Text
from sqlalchemy.dialects import postgresql


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('remote_objects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_reply', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('quote_uri', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('poll', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('poll_multiple', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE remote_objects SET is_reply = (in_reply_to_uri IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table('remote_objects', schema=None) as batch_op:
        batch_op.drop_column('poll_multiple')
        batch_op.drop_column('poll')
        batch_op.drop_column('quote_uri')
        batch_op.drop_column('is_reply')
