"""Core schema and reference data (clinical cohorts, stakeholder kinds)

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 23:50:19.473319
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import imm_graph.db
from imm_graph.reference import CLINICAL_COHORTS, STAKEHOLDER_KINDS

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clinical_cohorts',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_clinical_cohorts'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('care_home', 'primary_school', 'secondary_school', 'sen_school', 'pupil_referral_unit', 'nursery', 'university', 'nhs_trust', 'hospital', 'pcn', 'icb', 'gp_practice', 'local_authority', 'housing_provider', 'charity', 'community_organisation', 'cultural_organisation', 'library', 'faith_venue', 'funder', 'business', name='organisation_kind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('ods_code', sa.String(length=6), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('local_authority', sa.String(length=120), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_organisations_name_not_empty')),
    sa.CheckConstraint('ods_code IS NULL OR (length(ods_code) BETWEEN 3 AND 6 AND ods_code = upper(ods_code))', name=op.f('ck_organisations_ods_code_shape')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('ods_code', name=op.f('uq_organisations_ods_code'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_local_authority'), ['local_authority'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_name'), ['name'], unique=False)

    op.create_table('participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('age_band', sa.Enum('0-4', '5-10', '11-17', '18-25', '26-49', '50-64', '65-74', '75-84', '85+', name='age_band', native_enum=False, create_constraint=True, length=13), nullable=True),
    sa.Column('generation', sa.Enum('child', 'young_person', 'adult', 'older_person', name='generation', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants')),
    sa.UniqueConstraint('ref', name=op.f('uq_participants_ref'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_generation'), ['generation'], unique=False)

    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('arm', sa.Enum('community', 'music_therapy', 'training', 'campaign', name='programme_arm', native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(code) > 0', name=op.f('ck_programmes_code_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('code', name=op.f('uq_programmes_code'))
    )
    op.create_table('stakeholder_kinds',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_stakeholder_kinds'))
    )
    op.create_table('hubs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('local_authority', sa.String(length=120), nullable=True),
    sa.Column('schedule', sa.String(length=200), nullable=True),
    sa.Column('host_organisation_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('planned', 'active', 'paused', 'closed', name='hub_status', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(code) > 0', name=op.f('ck_hubs_code_not_empty')),
    sa.ForeignKeyConstraint(['host_organisation_id'], ['organisations.id'], name=op.f('fk_hubs_host_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_hubs_programme_id_programmes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hubs')),
    sa.UniqueConstraint('code', name=op.f('uq_hubs_code'))
    )
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hubs_area'), ['area'], unique=False)
        batch_op.create_index(batch_op.f('ix_hubs_host_organisation_id'), ['host_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hubs_local_authority'), ['local_authority'], unique=False)
        batch_op.create_index(batch_op.f('ix_hubs_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hubs_status'), ['status'], unique=False)

    op.create_table('participant_cohorts',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('cohort_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['cohort_code'], ['clinical_cohorts.code'], name=op.f('fk_participant_cohorts_cohort_code_clinical_cohorts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_participant_cohorts_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', 'cohort_code', name=op.f('pk_participant_cohorts'))
    )
    with op.batch_alter_table('participant_cohorts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_cohorts_cohort_code'), ['cohort_code'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('local_authority', sa.String(length=120), nullable=True),
    sa.Column('lead_organisation_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_projects_dates_ordered')),
    sa.CheckConstraint('length(code) > 0', name=op.f('ck_projects_code_not_empty')),
    sa.CheckConstraint('weeks BETWEEN 1 AND 104', name=op.f('ck_projects_weeks_range')),
    sa.ForeignKeyConstraint(['lead_organisation_id'], ['organisations.id'], name=op.f('fk_projects_lead_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_projects_programme_id_programmes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('code', name=op.f('uq_projects_code'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_area'), ['area'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_lead_organisation_id'), ['lead_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_programme_id'), ['programme_id'], unique=False)

    op.create_table('stakeholders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind_code', sa.String(length=40), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_stakeholders_name_not_empty')),
    sa.ForeignKeyConstraint(['kind_code'], ['stakeholder_kinds.code'], name=op.f('fk_stakeholders_kind_code_stakeholder_kinds'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_stakeholders_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stakeholders'))
    )
    with op.batch_alter_table('stakeholders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stakeholders_kind_code'), ['kind_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_stakeholders_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('training_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('trainees', sa.Integer(), nullable=False),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('trainees > 0', name=op.f('ck_training_deliveries_trainees_positive')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_training_deliveries_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_training_deliveries_programme_id_programmes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_deliveries'))
    )
    with op.batch_alter_table('training_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_deliveries_delivered_on'), ['delivered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_deliveries_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_deliveries_programme_id'), ['programme_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.CheckConstraint('(hub_id IS NULL) <> (project_id IS NULL)', name=op.f('ck_enrolments_one_parent')),
    sa.CheckConstraint('left_on IS NULL OR left_on >= enrolled_on', name=op.f('ck_enrolments_dates_ordered')),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_enrolments_hub_id_hubs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_enrolments_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_enrolments_project_id_projects'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_hub_id'), ['hub_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_project_id'), ['project_id'], unique=False)

    op.create_table('hub_cohorts',
    sa.Column('hub_id', sa.Integer(), nullable=False),
    sa.Column('cohort_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['cohort_code'], ['clinical_cohorts.code'], name=op.f('fk_hub_cohorts_cohort_code_clinical_cohorts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_hub_cohorts_hub_id_hubs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hub_id', 'cohort_code', name=op.f('pk_hub_cohorts'))
    )
    with op.batch_alter_table('hub_cohorts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_cohorts_cohort_code'), ['cohort_code'], unique=False)

    op.create_table('hub_partners',
    sa.Column('hub_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_hub_partners_hub_id_hubs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_hub_partners_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('hub_id', 'organisation_id', name=op.f('pk_hub_partners'))
    )
    with op.batch_alter_table('hub_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_partners_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('outcome_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.Enum('who5', 'ucla3', 'swemwbs', 'wemwbs', 'hearts', name='measure', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('timepoint', sa.Enum('pre', 'post', 'follow_up', name='timepoint', native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('raw_score', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(hub_id IS NULL) OR (project_id IS NULL)', name=op.f('ck_outcome_assessments_at_most_one_context')),
    sa.CheckConstraint('raw_score >= 0 AND raw_score <= 70', name=op.f('ck_outcome_assessments_raw_score_range')),
    sa.CheckConstraint('score >= 0 AND score <= 100', name=op.f('ck_outcome_assessments_score_range')),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_outcome_assessments_hub_id_hubs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_outcome_assessments_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_outcome_assessments_project_id_projects'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_assessments')),
    sa.UniqueConstraint('participant_id', 'measure', 'timepoint', 'assessed_on', name=op.f('uq_outcome_assessments_participant_id_measure_timepoint_assessed_on'))
    )
    with op.batch_alter_table('outcome_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_assessments_hub_id'), ['hub_id'], unique=False)
        batch_op.create_index('ix_outcome_assessments_measure_timepoint', ['measure', 'timepoint'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_assessments_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_assessments_project_id'), ['project_id'], unique=False)

    op.create_table('project_cohorts',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('cohort_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['cohort_code'], ['clinical_cohorts.code'], name=op.f('fk_project_cohorts_cohort_code_clinical_cohorts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_cohorts_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'cohort_code', name=op.f('pk_project_cohorts'))
    )
    with op.batch_alter_table('project_cohorts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_cohorts_cohort_code'), ['cohort_code'], unique=False)

    op.create_table('project_partners',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_project_partners_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_partners_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'organisation_id', name=op.f('pk_project_partners'))
    )
    with op.batch_alter_table('project_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_partners_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=True),
    sa.Column('facilitator', sa.String(length=200), nullable=True),
    sa.Column('children_young_people', sa.Integer(), nullable=False),
    sa.Column('older_people', sa.Integer(), nullable=False),
    sa.Column('staff', sa.Integer(), nullable=False),
    sa.Column('volunteers', sa.Integer(), nullable=False),
    sa.Column('families', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imm_graph.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(hub_id IS NULL) <> (project_id IS NULL)', name=op.f('ck_sessions_one_parent')),
    sa.CheckConstraint('children_young_people >= 0', name=op.f('ck_sessions_children_young_people_not_negative')),
    sa.CheckConstraint('families >= 0', name=op.f('ck_sessions_families_not_negative')),
    sa.CheckConstraint('older_people >= 0', name=op.f('ck_sessions_older_people_not_negative')),
    sa.CheckConstraint('staff >= 0', name=op.f('ck_sessions_staff_not_negative')),
    sa.CheckConstraint('volunteers >= 0', name=op.f('ck_sessions_volunteers_not_negative')),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_sessions_hub_id_hubs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sessions_project_id_projects'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_date', ['session_date'], unique=False)
        batch_op.create_index('ix_sessions_hub_date', ['hub_id', 'session_date'], unique=False)
        batch_op.create_index('ix_sessions_project_date', ['project_id', 'session_date'], unique=False)


    # Reference data as of this revision. A later change to the vocabularies in
    # imm_graph.reference needs a revision of its own that upserts the difference.
    for table_name, terms in (
        ("clinical_cohorts", CLINICAL_COHORTS),
        ("stakeholder_kinds", STAKEHOLDER_KINDS),
    ):
        table = sa.table(
            table_name, sa.column("code"), sa.column("name"), sa.column("description")
        )
        op.bulk_insert(
            table, [{"code": t.code, "name": t.name, "description": t.description} for t in terms]
        )


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_project_date')
        batch_op.drop_index('ix_sessions_hub_date')
        batch_op.drop_index('ix_sessions_date')

    op.drop_table('sessions')
    with op.batch_alter_table('project_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_partners_organisation_id'))

    op.drop_table('project_partners')
    with op.batch_alter_table('project_cohorts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_cohorts_cohort_code'))

    op.drop_table('project_cohorts')
    with op.batch_alter_table('outcome_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_assessments_project_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_assessments_participant_id'))
        batch_op.drop_index('ix_outcome_assessments_measure_timepoint')
        batch_op.drop_index(batch_op.f('ix_outcome_assessments_hub_id'))

    op.drop_table('outcome_assessments')
    with op.batch_alter_table('hub_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_partners_organisation_id'))

    op.drop_table('hub_partners')
    with op.batch_alter_table('hub_cohorts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_cohorts_cohort_code'))

    op.drop_table('hub_cohorts')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_project_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_participant_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_hub_id'))

    op.drop_table('enrolments')
    with op.batch_alter_table('training_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_deliveries_programme_id'))
        batch_op.drop_index(batch_op.f('ix_training_deliveries_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_training_deliveries_delivered_on'))

    op.drop_table('training_deliveries')
    with op.batch_alter_table('stakeholders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stakeholders_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_stakeholders_kind_code'))

    op.drop_table('stakeholders')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_programme_id'))
        batch_op.drop_index(batch_op.f('ix_projects_lead_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_projects_area'))

    op.drop_table('projects')
    with op.batch_alter_table('participant_cohorts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_cohorts_cohort_code'))

    op.drop_table('participant_cohorts')
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hubs_status'))
        batch_op.drop_index(batch_op.f('ix_hubs_programme_id'))
        batch_op.drop_index(batch_op.f('ix_hubs_local_authority'))
        batch_op.drop_index(batch_op.f('ix_hubs_host_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_hubs_area'))

    op.drop_table('hubs')
    op.drop_table('stakeholder_kinds')
    op.drop_table('programmes')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_generation'))

    op.drop_table('participants')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_name'))
        batch_op.drop_index(batch_op.f('ix_organisations_local_authority'))
        batch_op.drop_index(batch_op.f('ix_organisations_kind'))

    op.drop_table('organisations')
    op.drop_table('clinical_cohorts')
