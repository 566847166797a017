"""card payments: several attempts per order (another card after a decline), one in progress at a time; the prize
for tax of co-paid orders is what the program paid for

Revision ID: 0025
Revises: 0021
Create Date: 2026-12-07 14:00:00

A declined card no longer cancels the order: it waits for payment until its window ends, and each card tried is
a payment attempt of its own. `payments.order_id` was unique (one payment per order); it becomes a plain index,
and a partial unique index keeps at most one attempt in progress (`created`) per order.

`orders.prize_value_kopecks` (the yearly prize total for tax) counted the card part a participant paid
themselves; it is now the prizes' value less that part, and existing co-paid orders are corrected.

On SQLite the payments table is rebuilt from its reflection, which reads the tables it refers to as well; an
expression index there (users' birthday) is reported as skipped, harmlessly: only payments is rebuilt.
"""
import warnings

import sqlalchemy as sa
from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # the reflection's note on other tables' indexes
        with op.batch_alter_table('payments', schema=None) as batch_op:
            batch_op.drop_constraint('uq_payments_order_id', type_='unique')
            batch_op.create_index(batch_op.f('ix_payments_order_id'), ['order_id'], unique=False)
            batch_op.create_index('uq_payments_order_in_progress', ['order_id'], unique=True,
                                  sqlite_where=sa.text("status = 'created'"),
                                  postgresql_where=sa.text("status = 'created'"))
    op.execute("UPDATE orders SET prize_value_kopecks = CASE WHEN prize_value_kopecks > card_kopecks "
               "THEN prize_value_kopecks - card_kopecks ELSE 0 END WHERE card_kopecks > 0")


def downgrade():
    op.execute("UPDATE orders SET prize_value_kopecks = prize_value_kopecks + card_kopecks WHERE card_kopecks > 0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        with op.batch_alter_table('payments', schema=None) as batch_op:
            batch_op.drop_index('uq_payments_order_in_progress')
            batch_op.drop_index(batch_op.f('ix_payments_order_id'))
            batch_op.create_unique_constraint('uq_payments_order_id', ['order_id'])
