"""recruitment campaigns: the companies a campaign invites (one contact each) with the moments of their funnel
steps, the reminders sent, why their mail stopped; and the addresses that unsubscribed from recruitment mail

Revision ID: 0040
Revises: 0041
Create Date: 2026-12-07 20:00:00

Only new tables: nothing existing is rebuilt on SQLite.
"""
from alembic import op
import sqlalchemy as sa


revision = '0040'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recruitment_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'paused')", name=op.f('ck_recruitment_campaigns_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_recruitment_campaigns_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruitment_campaigns'))
    )
    op.create_table('recruitment_invitees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('stopped', sa.String(length=16), nullable=True),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('first_sale_at', sa.DateTime(), nullable=True),
    sa.Column('first_course_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('reminders BETWEEN 0 AND 2', name=op.f('ck_recruitment_invitees_reminders_range')),
    sa.CheckConstraint("stopped IS NULL OR stopped IN ('registered', 'unsubscribed')",
                       name=op.f('ck_recruitment_invitees_stopped_known')),
    sa.CheckConstraint('length(inn) IN (10, 12)', name=op.f('ck_recruitment_invitees_inn_length')),
    sa.ForeignKeyConstraint(['campaign_id'], ['recruitment_campaigns.id'],
                            name=op.f('fk_recruitment_invitees_campaign_id_recruitment_campaigns'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['partner_companies.id'],
                            name=op.f('fk_recruitment_invitees_company_id_partner_companies')),
    sa.ForeignKeyConstraint(['group_id'], ['partner_groups.id'],
                            name=op.f('fk_recruitment_invitees_group_id_partner_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruitment_invitees')),
    sa.UniqueConstraint('campaign_id', 'inn', name=op.f('uq_recruitment_invitees_campaign_id_inn'))
    )
    with op.batch_alter_table('recruitment_invitees', schema=None) as batch_op:
        batch_op.create_index('ix_recruitment_invitees_campaign_id_id', ['campaign_id', 'id'], unique=False)
        for column in ('inn', 'email', 'group_id', 'company_id', 'reminded_at', 'invited_at'):
            batch_op.create_index(batch_op.f(f'ix_recruitment_invitees_{column}'), [column], unique=False)
    op.create_table('recruitment_opt_outs',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_recruitment_opt_outs'))
    )


def downgrade():
    op.drop_table('recruitment_opt_outs')
    with op.batch_alter_table('recruitment_invitees', schema=None) as batch_op:
        for column in ('inn', 'email', 'group_id', 'company_id', 'reminded_at', 'invited_at'):
            batch_op.drop_index(batch_op.f(f'ix_recruitment_invitees_{column}'))
        batch_op.drop_index('ix_recruitment_invitees_campaign_id_id')
    op.drop_table('recruitment_invitees')
    op.drop_table('recruitment_campaigns')
