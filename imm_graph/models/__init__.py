"""The core domain's tables. Importing this package registers them all on ``Base.metadata``."""

from imm_graph.models.access import ApiKey, AuditEntry
from imm_graph.models.assessment import OutcomeAssessment
from imm_graph.models.consent import Consent
from imm_graph.models.events import DomainEventRecord, EventDelivery, EventDeliveryStatus
from imm_graph.models.hub import Hub, hub_catchments, hub_cohorts, hub_partners
from imm_graph.models.organisation import Organisation
from imm_graph.models.outbox import (
    DeliveryAttempt,
    DeliveryStatus,
    OutboxDelivery,
    OutboxEndpoint,
)
from imm_graph.models.participant import (
    DEMOGRAPHIC_FIELDS,
    PERSONAL_FIELDS,
    Enrolment,
    Participant,
    participant_cohorts,
)
from imm_graph.models.platform import JobRun, WebhookReceipt
from imm_graph.models.programme import Programme, Project, project_cohorts, project_partners
from imm_graph.models.reference import ClinicalCohort, StakeholderKind
from imm_graph.models.session import ATTENDANCE_COLUMNS, Session, SessionAttendee
from imm_graph.models.stakeholder import Stakeholder
from imm_graph.models.training import TrainingDelivery

__all__ = [
    "ATTENDANCE_COLUMNS",
    "DEMOGRAPHIC_FIELDS",
    "PERSONAL_FIELDS",
    "ApiKey",
    "AuditEntry",
    "ClinicalCohort",
    "Consent",
    "DeliveryAttempt",
    "DeliveryStatus",
    "DomainEventRecord",
    "Enrolment",
    "EventDelivery",
    "EventDeliveryStatus",
    "Hub",
    "JobRun",
    "Organisation",
    "OutboxDelivery",
    "OutboxEndpoint",
    "OutcomeAssessment",
    "Participant",
    "Programme",
    "Project",
    "Session",
    "SessionAttendee",
    "Stakeholder",
    "StakeholderKind",
    "TrainingDelivery",
    "WebhookReceipt",
    "hub_catchments",
    "hub_cohorts",
    "hub_partners",
    "participant_cohorts",
    "project_cohorts",
    "project_partners",
]
