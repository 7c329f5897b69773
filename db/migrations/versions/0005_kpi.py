"""kpi tables: service-quality cards, work errors, per-chat and per-complaint facts, daily rollups

Revision ID: 0005_kpi
Revises: 0004_qa
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_kpi'
down_revision = '0004_qa'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
ROLLUP_COUNTS = ('scheduled', 'chats', 'frt_chats', 'frt_sum_s', 'replies_timed', 'replies_within', 'tracked_chats',
                 'resolving_chats', 'reviews', 'unqualified', 'complaints', 'reply_on_time', 'reply_late',
                 'reply_open', 'fu_on_time', 'fu_late', 'fu_open', 'fu_satisfied', 'fu_reached', 'surveys_answered',
                 'survey_score_sum', 'surveys_satisfied', 'work_errors')


def upgrade() -> None:
    op.create_table('surveys',
    sa.Column('id', BIG, autoincrement=True, nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('client_id', BIG, nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_surveys_agent_id_agents')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_surveys_client_id_clients')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_surveys_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('external_id', name=op.f('uq_surveys_external_id'))
    )
    op.create_index('ix_surveys_agent_sent', 'surveys', ['agent_id', 'sent_on'], unique=False)

    op.create_table('work_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_work_errors_agent_id_agents')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_work_errors_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_errors'))
    )
    op.create_index('ix_work_errors_agent_day', 'work_errors', ['agent_id', 'day'], unique=False)

    op.create_table('kpi_chat_facts',
    sa.Column('chat_id', BIG, autoincrement=False, nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('work_date', sa.Date(), nullable=False),
    sa.Column('client_id', BIG, nullable=True),
    sa.Column('first_response_s', sa.Integer(), nullable=True),
    sa.Column('replies_timed', sa.Integer(), nullable=False),
    sa.Column('replies_within', sa.Integer(), nullable=False),
    sa.Column('max_wait_s', sa.Integer(), nullable=True),
    sa.Column('resolving', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_kpi_chat_facts_agent_id_agents')),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_kpi_chat_facts_chat_id_chats'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_kpi_chat_facts'))
    )
    op.create_index('ix_kpi_chat_facts_agent_day', 'kpi_chat_facts', ['agent_id', 'work_date'], unique=False)
    op.create_index('ix_kpi_chat_facts_day_chat', 'kpi_chat_facts', ['work_date', 'chat_id'], unique=False)

    op.create_table('kpi_complaint_facts',
    sa.Column('complaint_id', BIG, autoincrement=False, nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reply_state', sa.String(length=8), nullable=False),
    sa.Column('reply_due_at', sa.DateTime(), nullable=True),
    sa.Column('fu_state', sa.String(length=8), nullable=False),
    sa.Column('follow_up_due_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_kpi_complaint_facts_agent_id_agents')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_kpi_complaint_facts_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_kpi_complaint_facts'))
    )
    op.create_index('ix_kpi_complaint_facts_agent_day', 'kpi_complaint_facts', ['agent_id', 'day'], unique=False)
    op.create_index('ix_kpi_complaint_facts_open_day', 'kpi_complaint_facts', ['day'], unique=False,
                    postgresql_where=sa.text("reply_state = 'open' OR fu_state = 'open'"),
                    sqlite_where=sa.text("reply_state = 'open' OR fu_state = 'open'"))

    op.create_table('rollup_agent_day',
    sa.Column('agent_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    *[sa.Column(c, sa.Integer(), nullable=False) for c in ROLLUP_COUNTS],
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_rollup_agent_day_agent_id_agents')),
    sa.PrimaryKeyConstraint('agent_id', 'day', name=op.f('pk_rollup_agent_day'))
    )
    op.create_index('ix_rollup_agent_day_day', 'rollup_agent_day', ['day'], unique=False)

    op.create_table('rollup_frt_agent_day',
    sa.Column('agent_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('first_response_s', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('chats', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_rollup_frt_agent_day_agent_id_agents')),
    sa.PrimaryKeyConstraint('agent_id', 'day', 'first_response_s', name=op.f('pk_rollup_frt_agent_day'))
    )
    op.create_index('ix_rollup_frt_agent_day_day', 'rollup_frt_agent_day', ['day'], unique=False)


def downgrade() -> None:
    for table, index in (('rollup_frt_agent_day', 'ix_rollup_frt_agent_day_day'),
                         ('rollup_agent_day', 'ix_rollup_agent_day_day'),
                         ('kpi_complaint_facts', 'ix_kpi_complaint_facts_agent_day'),
                         ('kpi_chat_facts', 'ix_kpi_chat_facts_agent_day'),
                         ('work_errors', 'ix_work_errors_agent_day'),
                         ('surveys', 'ix_surveys_agent_sent')):
        op.drop_index(index, table_name=table)
        op.drop_table(table)
