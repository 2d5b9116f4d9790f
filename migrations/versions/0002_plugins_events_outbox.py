"""Plug-in support: domain events, event-hook retries, the outbound delivery outbox

domain_events: every change plug-ins may react to (ids and codes only).
event_deliveries: a plug-in's failed event hook, waiting for a retry or dead.
outbox_deliveries / delivery_attempts: partner calls promised in a transaction, and each try.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:00:38.107787
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import imm_graph.db

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('domain_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_domain_events_name_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domain_events'))
    )
    with op.batch_alter_table('domain_events', schema=None) as batch_op:
        batch_op.create_index('ix_domain_events_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_domain_events_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_domain_events_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('event_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('pending_retry', 'succeeded', 'dead', name='event_delivery_status', native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('next_attempt_at', imm_graph.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_event_deliveries_attempts_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['domain_events.id'], name=op.f('fk_event_deliveries_event_id_domain_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_deliveries')),
    sa.UniqueConstraint('event_id', 'plugin', name=op.f('uq_event_deliveries_event_id_plugin'))
    )
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_event_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_deliveries_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_deliveries_plugin'), ['plugin'], unique=False)

    op.create_table('outbox_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.String(length=36), nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('secret_ref', sa.String(length=100), nullable=True),
    sa.Column('status', sa.Enum('pending', 'in_flight', 'retrying', 'delivered', 'dead', name='delivery_status', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_token', sa.String(length=36), nullable=True),
    sa.Column('lease_expires_at', imm_graph.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', imm_graph.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_deliveries_attempts_not_negative')),
    sa.CheckConstraint('length(url) > 0', name=op.f('ck_outbox_deliveries_url_not_empty')),
    sa.ForeignKeyConstraint(['event_id'], ['domain_events.id'], name=op.f('fk_outbox_deliveries_event_id_domain_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_deliveries')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_outbox_deliveries_delivery_id')),
    sa.UniqueConstraint('plugin', 'idempotency_key', name=op.f('uq_outbox_deliveries_plugin_idempotency_key'))
    )
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_deliveries_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_deliveries_lease_token'), ['lease_token'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_deliveries_plugin'), ['plugin'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['outbox_deliveries.id'], name=op.f('fk_delivery_attempts_delivery_id_outbox_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts'))
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_attempts_delivery', ['delivery_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_attempts_delivery')

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_deliveries_plugin'))
        batch_op.drop_index(batch_op.f('ix_outbox_deliveries_lease_token'))
        batch_op.drop_index(batch_op.f('ix_outbox_deliveries_event_id'))
        batch_op.drop_index('ix_outbox_deliveries_due')

    op.drop_table('outbox_deliveries')
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_deliveries_plugin'))
        batch_op.drop_index(batch_op.f('ix_event_deliveries_event_id'))
        batch_op.drop_index('ix_event_deliveries_due')

    op.drop_table('event_deliveries')
    with op.batch_alter_table('domain_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domain_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_domain_events_name'))
        batch_op.drop_index('ix_domain_events_entity')

    op.drop_table('domain_events')
