"""UPD claims: a partner's own articles mapped to the catalogue's SKUs, one mapping per article and company

Revision ID: 0030
Revises: 0025
Create Date: 2026-12-07 17:00:00

A claim made from a UPD keeps the file as its scan (no column changes); a line whose article is not a catalogue
SKU is mapped by the company's list, learned from the participant's first choice and kept by the partner admin.
"""
import sqlalchemy as sa
from alembic import op


revision = '0030'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'article_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('article', sa.String(length=100), nullable=False),
        sa.Column('article_key', sa.String(length=100), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("article_key <> ''", name=op.f('ck_article_mappings_article_not_empty')),
        sa.ForeignKeyConstraint(['company_id'], ['partner_companies.id'],
                                name=op.f('fk_article_mappings_company_id_partner_companies')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_article_mappings_created_by_id_users')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_article_mappings_product_id_products')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_mappings')),
        sa.UniqueConstraint('company_id', 'article_key', name=op.f('uq_article_mappings_company_id_article_key')),
    )
    op.create_index(op.f('ix_article_mappings_product_id'), 'article_mappings', ['product_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_article_mappings_product_id'), table_name='article_mappings')
    op.drop_table('article_mappings')
