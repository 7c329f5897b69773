"""portfolio rollups: precomputed book figures (lib/portfolio/rollup.py); covering indexes for the live flags,
new clients by channel and visits per RM

Revision ID: 0006_portfolio_rollup
Revises: 0005_kpi
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_portfolio_rollup'
down_revision = '0005_kpi'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portfolio_book_balances',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('grain', sa.String(length=8), nullable=False),
    sa.Column('rm_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=True),
    sa.Column('industry', sa.String(length=64), nullable=True),
    sa.Column('credit_rating', sa.String(length=8), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_book_balances'))
    )
    with op.batch_alter_table('portfolio_book_balances', schema=None) as batch_op:
        batch_op.create_index('ix_portfolio_book_balances_grain_asof', ['grain', 'as_of'], unique=False)

    op.create_table('portfolio_book_migration',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('grain', sa.String(length=8), nullable=False),
    sa.Column('rm_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=True),
    sa.Column('industry', sa.String(length=64), nullable=True),
    sa.Column('credit_rating', sa.String(length=8), nullable=True),
    sa.Column('from_class', sa.String(length=16), nullable=False),
    sa.Column('to_class', sa.String(length=16), nullable=False),
    sa.Column('loans', sa.Integer(), nullable=False),
    sa.Column('outstanding_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_book_migration'))
    )
    with op.batch_alter_table('portfolio_book_migration', schema=None) as batch_op:
        batch_op.create_index('ix_portfolio_book_migration_grain', ['grain'], unique=False)

    op.create_table('portfolio_book_rollup',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('grain', sa.String(length=8), nullable=False),
    sa.Column('rm_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=True),
    sa.Column('industry', sa.String(length=64), nullable=True),
    sa.Column('credit_rating', sa.String(length=8), nullable=True),
    sa.Column('clients', sa.Integer(), nullable=False),
    sa.Column('new_clients', sa.Integer(), nullable=False),
    sa.Column('deposits_fen', sa.BigInteger(), nullable=False),
    sa.Column('loans_fen', sa.BigInteger(), nullable=False),
    sa.Column('npl_fen', sa.BigInteger(), nullable=False),
    sa.Column('wealth_fen', sa.BigInteger(), nullable=False),
    sa.Column('credit_granted_fen', sa.BigInteger(), nullable=False),
    sa.Column('credit_used_fen', sa.BigInteger(), nullable=False),
    sa.Column('interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('loan_interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('products', sa.Integer(), nullable=False),
    sa.Column('single_product', sa.Integer(), nullable=False),
    sa.Column('past_due', sa.Integer(), nullable=False),
    sa.Column('worse_class', sa.Integer(), nullable=False),
    sa.Column('near_limit', sa.Integer(), nullable=False),
    sa.Column('loans_pass_fen', sa.BigInteger(), nullable=False),
    sa.Column('loans_special_mention_fen', sa.BigInteger(), nullable=False),
    sa.Column('loans_substandard_fen', sa.BigInteger(), nullable=False),
    sa.Column('loans_doubtful_fen', sa.BigInteger(), nullable=False),
    sa.Column('loans_loss_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_book_rollup'))
    )
    with op.batch_alter_table('portfolio_book_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_portfolio_book_rollup_grain_rm', ['grain', 'rm_id'], unique=False)

    op.create_table('portfolio_rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('month_end', sa.Date(), nullable=True),
    sa.Column('near_limit_pct', sa.Integer(), nullable=False),
    sa.Column('clients', sa.Integer(), nullable=False),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_rollup_state'))
    )
    op.create_table('portfolio_client_figures',
    sa.Column('client_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('rm_id', sa.Integer(), nullable=True),
    sa.Column('tier_rank', sa.Integer(), nullable=False),
    sa.Column('deposits_fen', sa.BigInteger(), nullable=False),
    sa.Column('loans_fen', sa.BigInteger(), nullable=False),
    sa.Column('npl_fen', sa.BigInteger(), nullable=False),
    sa.Column('wealth_fen', sa.BigInteger(), nullable=False),
    sa.Column('credit_granted_fen', sa.BigInteger(), nullable=False),
    sa.Column('credit_used_fen', sa.BigInteger(), nullable=False),
    sa.Column('interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('loan_interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('products', sa.Integer(), nullable=False),
    sa.Column('max_dpd', sa.Integer(), nullable=False),
    sa.Column('worst_class_rank', sa.Integer(), nullable=True),
    sa.Column('past_due', sa.Integer(), nullable=False),
    sa.Column('single_product', sa.Integer(), nullable=False),
    sa.Column('worse_class', sa.Integer(), nullable=False),
    sa.Column('near_limit', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_portfolio_client_figures_client_id_clients')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_portfolio_client_figures'))
    )
    with op.batch_alter_table('portfolio_client_figures', schema=None) as batch_op:
        batch_op.create_index('ix_portfolio_client_figures_book_order', ['rm_id', 'tier_rank', 'deposits_fen'], unique=False)

    op.create_table('portfolio_worse_loans',
    sa.Column('loan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('from_class', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_portfolio_worse_loans_loan_id_loans')),
    sa.PrimaryKeyConstraint('loan_id', name=op.f('pk_portfolio_worse_loans'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_acquired'))
        batch_op.drop_index(batch_op.f('ix_clients_tier_contact'))
        batch_op.create_index('ix_clients_acquired_rm', ['acquired_on', 'acquisition_channel', 'rm_id'], unique=False)
        batch_op.create_index('ix_clients_rm_tier_contact', ['rm_id', 'tier', 'last_contact_at'], unique=False)
        batch_op.create_index('ix_clients_rm_txn_contact', ['rm_id', 'last_txn_on', 'last_contact_at'], unique=False)
        batch_op.create_index('ix_clients_tier_contact_rm', ['tier', 'last_contact_at', 'rm_id', 'status'], unique=False)
        batch_op.create_index('ix_clients_txn_contact_rm', ['last_txn_on', 'last_contact_at', 'rm_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_kind_at_rm', ['kind', 'occurred_at', 'rm_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_kind_at_rm')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index('ix_clients_txn_contact_rm')
        batch_op.drop_index('ix_clients_tier_contact_rm')
        batch_op.drop_index('ix_clients_rm_txn_contact')
        batch_op.drop_index('ix_clients_rm_tier_contact')
        batch_op.drop_index('ix_clients_acquired_rm')
        batch_op.create_index(batch_op.f('ix_clients_tier_contact'), ['tier', 'last_contact_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_acquired'), ['acquired_on', 'acquisition_channel'], unique=False)

    op.drop_table('portfolio_worse_loans')
    with op.batch_alter_table('portfolio_client_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_portfolio_client_figures_book_order')

    op.drop_table('portfolio_client_figures')
    op.drop_table('portfolio_rollup_state')
    with op.batch_alter_table('portfolio_book_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_portfolio_book_rollup_grain_rm')

    op.drop_table('portfolio_book_rollup')
    with op.batch_alter_table('portfolio_book_migration', schema=None) as batch_op:
        batch_op.drop_index('ix_portfolio_book_migration_grain')

    op.drop_table('portfolio_book_migration')
    with op.batch_alter_table('portfolio_book_balances', schema=None) as batch_op:
        batch_op.drop_index('ix_portfolio_book_balances_grain_asof')

    op.drop_table('portfolio_book_balances')
