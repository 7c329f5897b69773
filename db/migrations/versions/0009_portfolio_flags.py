"""portfolio flag rollup: clients overdue for a visit and dormant per book and client group, for one day
(lib/portfolio/rollup.py). Left empty here: it depends on the bank's today and the settings, so
`python -m db portfolio-rollup` builds it (`make run` does, the nightly job does); until then pages count live.

Revision ID: 0009_portfolio_flags
Revises: 0008_qa_rollup
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_portfolio_flags'
down_revision = '0008_qa_rollup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portfolio_book_flags',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('grain', sa.String(length=8), nullable=False),
    sa.Column('rm_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=True),
    sa.Column('industry', sa.String(length=64), nullable=True),
    sa.Column('credit_rating', sa.String(length=8), nullable=True),
    sa.Column('overdue_visit', sa.Integer(), nullable=False),
    sa.Column('overdue_open', sa.Integer(), nullable=False),
    sa.Column('dormant', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_book_flags'))
    )
    with op.batch_alter_table('portfolio_book_flags', schema=None) as batch_op:
        batch_op.create_index('ix_portfolio_book_flags_key',
                              ['grain', 'rm_id', 'tier', 'client_type', 'industry', 'credit_rating'], unique=False)

    op.create_table('portfolio_flag_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('today', sa.Date(), nullable=False),
    sa.Column('visit_interval_days', sa.String(length=255), nullable=False),
    sa.Column('dormant_days', sa.Integer(), nullable=False),
    sa.Column('clients', sa.Integer(), nullable=False),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_flag_state'))
    )


def downgrade() -> None:
    op.drop_table('portfolio_flag_state')
    with op.batch_alter_table('portfolio_book_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_portfolio_book_flags_key')

    op.drop_table('portfolio_book_flags')
