"""Partner access and personal data

api_keys: partners' API keys (public key id + keyed hash of the secret, scopes, expiry).
audit_entries: who changed or read personal data of which objects (ids only, never values).
participants: identifiable columns, encrypted at rest (Fernet tokens, stored as TEXT: the
migration does not depend on the application's crypto code), and the NHS number blind index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:11:32.451935
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import imm_graph.db

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('rate_limit_per_minute', sa.Integer(), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', imm_graph.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', imm_graph.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', imm_graph.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_api_keys_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_api_keys_key_id'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=120), nullable=False),
    sa.Column('object_type', sa.String(length=60), nullable=False),
    sa.Column('object_ids', sa.JSON(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_audit_entries_api_key_id_api_keys'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_api_key_id'), ['api_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_entries_object', ['object_type', 'at'], unique=False)

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('given_name', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('family_name', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('nhs_number', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('date_of_birth', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('email', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('postcode', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('nhs_number_index', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_participants_nhs_number_index'), ['nhs_number_index'], unique=False)



def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch rebuild: rebuilding
    # participants on SQLite drops the old table, which would cascade-delete enrolments.
    op.drop_index(op.f('ix_participants_nhs_number_index'), table_name='participants')
    for column in ('nhs_number_index', 'postcode', 'address', 'phone', 'email',
                   'date_of_birth', 'nhs_number', 'family_name', 'given_name'):
        op.drop_column('participants', column)

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_object')
        batch_op.drop_index(batch_op.f('ix_audit_entries_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_api_key_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_action'))

    op.drop_table('audit_entries')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_organisation_id'))

    op.drop_table('api_keys')
