"""Everything a plug-in author imports: ``from imm_graph.plugin_api import hookimpl, ...``.

Plug-ins depend on this module only, so the core can reorganise its inside without breaking
them. It re-exports and defines nothing (nothing inside ``imm_graph`` imports it). The hooks are
documented in ``docs/plugins.md``; a worked example lives in ``tests/example_plugin``.
"""

from __future__ import annotations

from imm_graph import models
from imm_graph.bulk_insert import insert_rows
from imm_graph.cli.runtime import open_database, with_database
from imm_graph.db import Base, Database, UTCDateTime, utcnow
from imm_graph.errors import FieldError, ValidationError
from imm_graph.ids import decode_pk, encode_id
from imm_graph.models._types import enum_column_type
from imm_graph.pluginhost.batching import FALLBACK, GroupCommit
from imm_graph.pluginhost.collect import collect
from imm_graph.pluginhost.contract import (
    DeliveryResult,
    DomainEvent,
    NodeType,
    OutboundRequest,
    PeriodicJob,
    PluginRoute,
    RateLimit,
    SchemaContribution,
    hookimpl,
)
from imm_graph.pluginhost.events import NewEvent, emit, emit_many
from imm_graph.pluginhost.jobs import JobContext
from imm_graph.pluginhost.outbox import enqueue_deliveries, enqueue_delivery
from imm_graph.pluginhost.signing import sign, signature_headers
from imm_graph.pluginhost.webhooks import (
    Answer,
    IdempotencyConflict,
    SignatureProblem,
    keep_answers,
    once,
    stored_answers,
    verify_signed,
)
from imm_graph.schema.context import Context
from imm_graph.schema.metadata import PUBLIC, bounded, reads
from imm_graph.schema.mutations import UserError
from imm_graph.schema.pagination import Connection, PageArgs
from imm_graph.schema.permissions import requires
from imm_graph.schema.personal import audited_read
from imm_graph.schema.plugin_helpers import (
    connection_of,
    nested_connection_of,
    page_args,
    user_errors,
)
from imm_graph.schema.types import Node
from imm_graph.scoring import change as score_change
from imm_graph.security.audit import Actor
from imm_graph.security.audit import record as audit
from imm_graph.security.crypto import EncryptedDate, EncryptedString, blind_index
from imm_graph.security.guards import forbidden, require_scope
from imm_graph.security.outbound import OutboundRefused, check_destination
from imm_graph.security.principal import Principal, principal_of
from imm_graph.security.problem import problem
from imm_graph.services import api as services
from imm_graph.services.impact import ImpactFilter
from imm_graph.sql_lists import one_of
from imm_graph.validators import validate_nhs_number, validate_ods_code, validate_postcode

__all__ = [
    "FALLBACK",
    "PUBLIC",
    "Actor",
    "Answer",
    "Base",
    "Connection",
    "Context",
    "Database",
    "DeliveryResult",
    "DomainEvent",
    "EncryptedDate",
    "EncryptedString",
    "FieldError",
    "GroupCommit",
    "IdempotencyConflict",
    "ImpactFilter",
    "JobContext",
    "NewEvent",
    "Node",
    "NodeType",
    "OutboundRefused",
    "OutboundRequest",
    "PageArgs",
    "PeriodicJob",
    "PluginRoute",
    "Principal",
    "RateLimit",
    "SchemaContribution",
    "SignatureProblem",
    "UTCDateTime",
    "UserError",
    "ValidationError",
    "audit",
    "audited_read",
    "blind_index",
    "bounded",
    "check_destination",
    "collect",
    "connection_of",
    "decode_pk",
    "emit",
    "emit_many",
    "encode_id",
    "enqueue_deliveries",
    "enqueue_delivery",
    "enum_column_type",
    "forbidden",
    "hookimpl",
    "insert_rows",
    "keep_answers",
    "models",
    "nested_connection_of",
    "once",
    "one_of",
    "open_database",
    "page_args",
    "principal_of",
    "problem",
    "reads",
    "require_scope",
    "requires",
    "score_change",
    "services",
    "sign",
    "signature_headers",
    "stored_answers",
    "user_errors",
    "utcnow",
    "validate_nhs_number",
    "validate_ods_code",
    "validate_postcode",
    "verify_signed",
    "with_database",
]
