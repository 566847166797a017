"""api lead references: the partner's own id of a lead, unique per company

Revision ID: 0018
Revises: 0009
Create Date: 2026-11-23 13:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_lead_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['partner_companies.id'], name=op.f('fk_api_lead_references_company_id_partner_companies')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_api_lead_references_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_lead_references')),
    sa.UniqueConstraint('company_id', 'external_id', name=op.f('uq_api_lead_references_company_id_external_id')),
    sa.UniqueConstraint('lead_id', name=op.f('uq_api_lead_references_lead_id'))
    )


def downgrade():
    op.drop_table('api_lead_references')
