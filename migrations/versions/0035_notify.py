"""notifications and news: the bell's notifications with an unread counter per person, mail preferences by category,
marketing consents with their version, spent unsubscribe links, extra headers on outgoing mail; news items with
their targeting, schedule and one pinned item (a partial unique index), and who read them

Revision ID: 0035
Revises: 0025
Create Date: 2026-12-07 17:00:00

notification_counters.unread is kept by the statements that add, read and remove notifications, so the bell
reads one row; `portal check` compares it with the notifications. outbox_messages.headers carries the
List-Unsubscribe headers (RFC 8058) of mail a person may turn off. Nothing existing is rebuilt: the new column is
added in place on SQLite too.
"""
from alembic import op
import sqlalchemy as sa


revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

CATEGORIES = "('decisions', 'contests', 'news', 'reminders', 'reports', 'digest')"


def _user_fk(table):
    return sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f(f'fk_{table}_user_id_users'),
                                   ondelete='CASCADE')


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    _user_fk('notifications'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_created_at', ['created_at'], unique=False)

    op.create_table('notification_counters',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.CheckConstraint('unread >= 0', name=op.f('ck_notification_counters_unread_not_negative')),
    _user_fk('notification_counters'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_counters'))
    )

    op.create_table('mail_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('decisions', sa.Boolean(), nullable=False),
    sa.Column('contests', sa.Boolean(), nullable=False),
    sa.Column('news', sa.Boolean(), nullable=False),
    sa.Column('reminders', sa.Boolean(), nullable=False),
    sa.Column('reports', sa.Boolean(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('digest_sent_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    _user_fk('mail_preferences'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mail_preferences'))
    )

    op.create_table('marketing_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    _user_fk('marketing_consents'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_consents'))
    )
    with op.batch_alter_table('marketing_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_consents_user_id'), ['user_id'], unique=False)

    op.create_table('unsubscribe_uses',
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(f'category IN {CATEGORIES}', name=op.f('ck_unsubscribe_uses_category_known')),
    _user_fk('unsubscribe_uses'),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_unsubscribe_uses'))
    )
    with op.batch_alter_table('unsubscribe_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unsubscribe_uses_user_id'), ['user_id'], unique=False)

    op.add_column('outbox_messages', sa.Column('headers', sa.JSON(), nullable=True))

    op.create_table('news_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=True),
    sa.Column('target', sa.String(length=12), nullable=False),
    sa.Column('target_values', sa.JSON(), nullable=False),
    sa.Column('publish_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('must_read', sa.Boolean(), nullable=False),
    sa.Column('mail_copy', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("target IN ('all', 'audiences', 'groups', 'companies', 'regions')",
                       name=op.f('ck_news_items_target_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_news_items_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_items'))
    )
    with op.batch_alter_table('news_items', schema=None) as batch_op:
        batch_op.create_index('ix_news_items_publish_at', ['publish_at'], unique=False)
        batch_op.create_index('uq_news_items_one_pinned', ['pinned'], unique=True,
                              sqlite_where=sa.text('pinned'), postgresql_where=sa.text('pinned'))

    op.create_table('news_reads',
    sa.Column('news_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['news_id'], ['news_items.id'], name=op.f('fk_news_reads_news_id_news_items'),
                            ondelete='CASCADE'),
    _user_fk('news_reads'),
    sa.PrimaryKeyConstraint('news_id', 'user_id', name=op.f('pk_news_reads'))
    )


def downgrade():
    op.drop_table('news_reads')
    with op.batch_alter_table('news_items', schema=None) as batch_op:
        batch_op.drop_index('uq_news_items_one_pinned', sqlite_where=sa.text('pinned'),
                            postgresql_where=sa.text('pinned'))
        batch_op.drop_index('ix_news_items_publish_at')
    op.drop_table('news_items')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('headers')
    with op.batch_alter_table('unsubscribe_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unsubscribe_uses_user_id'))
    op.drop_table('unsubscribe_uses')
    with op.batch_alter_table('marketing_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_consents_user_id'))
    op.drop_table('marketing_consents')
    op.drop_table('mail_preferences')
    op.drop_table('notification_counters')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_created_at')
        batch_op.drop_index('ix_notifications_user_id_id')
    op.drop_table('notifications')
