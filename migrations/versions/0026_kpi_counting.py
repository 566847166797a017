"""KPI counting: people per stage and scope (groups included), first sales and courses per scope for distinct totals

Revision ID: 0026
Revises: 0021
Create Date: 2026-12-07 14:00:00

kpi_person_scopes replaces kpi_person_stages: a person's approved sales and passed courses per stage in every
scope the events counted them for (program, company, region, audience, the groups of the event's day), from which
the people counters are derived. kpi_counters and kpi_stage_results gain first_selling and first_trained (people
whose first sale, or passed course, in the scope falls in the stage: summed over stages, distinct people). The rows are filled by
`flask --app wsgi portal kpi recompute`, which must run once after this upgrade (closed stages' stored results
take the new figures when they are recalculated).
"""
import sqlalchemy as sa
from alembic import op


revision = '0026'
down_revision = '0021'
branch_labels = None
depends_on = None

SCOPES = "('program', 'group', 'company', 'audience', 'region')"


def upgrade():
    op.create_table(
        'kpi_person_scopes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stage_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('scope_kind', sa.String(length=10), nullable=False),
        sa.Column('scope_key', sa.String(length=120), nullable=False),
        sa.Column('sales', sa.Integer(), nullable=False),
        sa.Column('courses', sa.Integer(), nullable=False),
        sa.CheckConstraint('sales >= 0 AND courses >= 0', name=op.f('ck_kpi_person_scopes_counts_not_negative')),
        sa.CheckConstraint(f'scope_kind IN {SCOPES}', name=op.f('ck_kpi_person_scopes_scope_known')),
        sa.ForeignKeyConstraint(['stage_id'], ['kpi_stages.id'],
                                name=op.f('fk_kpi_person_scopes_stage_id_kpi_stages'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kpi_person_scopes_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_person_scopes')),
        sa.UniqueConstraint('stage_id', 'user_id', 'scope_kind', 'scope_key', name='uq_kpi_person_scope'),
    )
    with op.batch_alter_table('kpi_person_scopes', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_person_scopes_user', ['user_id', 'stage_id'], unique=False)
    for table in ('kpi_counters', 'kpi_stage_results'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('first_selling', sa.BigInteger(), server_default='0', nullable=False))
            batch_op.add_column(sa.Column('first_trained', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('kpi_person_stages', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_person_stages_user')
    op.drop_table('kpi_person_stages')


def downgrade():
    op.create_table(
        'kpi_person_stages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stage_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('sales', sa.Integer(), nullable=False),
        sa.Column('courses', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['stage_id'], ['kpi_stages.id'],
                                name=op.f('fk_kpi_person_stages_stage_id_kpi_stages'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kpi_person_stages_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_person_stages')),
        sa.UniqueConstraint('stage_id', 'user_id', 'company_id', name='uq_kpi_person_stage'),
    )
    with op.batch_alter_table('kpi_person_stages', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_person_stages_user', ['user_id', 'stage_id'], unique=False)
    for table in ('kpi_counters', 'kpi_stage_results'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('first_trained')
            batch_op.drop_column('first_selling')
    with op.batch_alter_table('kpi_person_scopes', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_person_scopes_user')
    op.drop_table('kpi_person_scopes')
