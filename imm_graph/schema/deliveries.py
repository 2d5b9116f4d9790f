"""Outbound deliveries and failed plug-in event hooks, for IMM staff (`admin` scope).

Staff can see every attempt a partner's endpoint answered (status, error, the start of the
answer), put a dead-lettered delivery or event hook back in the queue, or discard a delivery so
the ones behind it on its ordering key go out. Request bodies and secrets are never shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry import Info

from imm_graph import models as m
from imm_graph.errors import ValidationError
from imm_graph.ids import decode_pk, encode_id
from imm_graph.models.events import EventDeliveryStatus
from imm_graph.models.outbox import DeliveryStatus
from imm_graph.pluginhost import events, outbox
from imm_graph.schema.context import Context
from imm_graph.schema.loaders import by_key, grouped, root_page
from imm_graph.schema.mutations import UserError
from imm_graph.schema.pagination import Connection, Order
from imm_graph.schema.permissions import requires
from imm_graph.schema.relations import Relation
from imm_graph.schema.types import After, Before, First, Last, build, page_args
from imm_graph.security.audit import record
from imm_graph.security.scopes import ADMIN

OutboxStatus = strawberry.enum(DeliveryStatus, name="DeliveryStatus")
HookStatus = strawberry.enum(EventDeliveryStatus, name="EventHookStatus")

deliveries = m.OutboxDelivery.__table__
attempts = m.DeliveryAttempt.__table__
hook_failures = m.EventDelivery.__table__
domain_events = m.DomainEventRecord.__table__
ATTEMPTS = Relation("delivery.attempts", attempts, "delivery_id", (("id", False),))
OLDEST_FIRST = Order(((deliveries.c.id, False),))
HOOKS_OLDEST_FIRST = Order(((hook_failures.c.id, False),))


@strawberry.type(description="One HTTP attempt at a delivery: what the partner answered.")
class DeliveryAttempt:
    attempt_no: int
    at: dt.datetime
    succeeded: bool
    status_code: int | None
    error: str | None = strawberry.field(description="Error type and short message, if any.")
    duration_ms: int
    response_excerpt: str | None = strawberry.field(
        description="The start of the partner's answer (500 characters at most)."
    )


@strawberry.type(description="A domain event (ids and codes only).")
class DomainEvent:
    name: str
    entity: str
    entity_id: str
    occurred_at: dt.datetime


@strawberry.type(description="A call to a partner, queued with the change that caused it.")
class OutboxDelivery:
    pk: strawberry.Private[int]
    delivery_id: str = strawberry.field(description="Sent as webhook-id and X-IMM-Delivery-Id.")
    plugin: str
    url: str
    method: str
    content_type: str
    endpoint: str = strawberry.field(description="What a 410 answer disables.")
    ordering_key: str | None = strawberry.field(
        description="Deliveries sharing a key go one at a time, in order."
    )
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    last_response_excerpt: str | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("OutboxDelivery", self.pk))

    @strawberry.field(description="Every attempt so far, oldest first.")
    async def attempt_log(self, info: Info[Context, None]) -> list[DeliveryAttempt]:
        rows = await grouped(info.context, ATTEMPTS).load(self.pk)
        return [build(DeliveryAttempt, row) for row in rows]


@strawberry.type(description="A plug-in's event hook that failed and is retried.")
class EventHookFailure:
    pk: strawberry.Private[int]
    event_id: strawberry.Private[int]
    plugin: str
    status: HookStatus
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("EventHookFailure", self.pk))

    @strawberry.field
    async def event(self, info: Info[Context, None]) -> DomainEvent | None:
        row = await by_key(info.context, domain_events).load(self.event_id)
        return None if row is None else build(DomainEvent, row)


@strawberry.type
class DeliveryQueries:
    @strawberry.field(
        description="Outbound deliveries to partners, oldest first.", extensions=requires(ADMIN)
    )
    async def outbox_deliveries(
        self,
        info: Info[Context, None],
        status: OutboxStatus | None = None,
        plugin: str | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[OutboxDelivery]:
        where = []
        if status is not None:
            where.append(deliveries.c.status == DeliveryStatus(status).value)
        if plugin is not None:
            where.append(deliveries.c.plugin == plugin)
        args = page_args(info, first, after, last, before)
        return await root_page(
            info.context,
            deliveries,
            where,
            OLDEST_FIRST,
            args,
            lambda row: build(OutboxDelivery, row),
        )

    @strawberry.field(
        description="Plug-in event hooks that failed, oldest first.", extensions=requires(ADMIN)
    )
    async def event_hook_failures(
        self,
        info: Info[Context, None],
        status: HookStatus | None = None,
        plugin: str | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[EventHookFailure]:
        where = []
        if status is not None:
            where.append(hook_failures.c.status == EventDeliveryStatus(status).value)
        if plugin is not None:
            where.append(hook_failures.c.plugin == plugin)
        args = page_args(info, first, after, last, before)
        return await root_page(
            info.context,
            hook_failures,
            where,
            HOOKS_OLDEST_FIRST,
            args,
            lambda row: build(EventHookFailure, row),
        )


@strawberry.type
class RequeuePayload:
    delivery: OutboxDelivery | None
    errors: list[UserError]


@strawberry.type
class RequeueHookPayload:
    hook_failure: EventHookFailure | None
    errors: list[UserError]


async def _staff_action(
    info: Info[Context, None], id: str, type_name: str, table: sa.Table, action: Any
) -> Any:
    ctx = info.context
    pk = decode_pk(id, type_name, "id")
    async with ctx.db.transaction(actor=ctx.actor) as session:
        await action(session, pk)
        await record(session, action=f"outbox.{info.field_name}", object_type=type_name,
                     object_ids=[pk])
    await ctx.after_write()
    [row] = await ctx.fetch(sa.select(table).where(table.c.id == pk))
    return row


@strawberry.type
class DeliveryMutations:
    @strawberry.mutation(
        description="Put a dead or retrying delivery back in the queue, due now.",
        extensions=requires(ADMIN),
    )
    async def requeue_delivery(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RequeuePayload:
        try:
            row = await _staff_action(info, id, "OutboxDelivery", deliveries, outbox.requeue)
        except ValidationError as exc:
            return RequeuePayload(delivery=None, errors=_errors(exc))
        return RequeuePayload(delivery=build(OutboxDelivery, row), errors=[])

    @strawberry.mutation(
        description="Give up on an undelivered delivery, so later ones with its ordering key "
        "go out. Its attempts stay on record.",
        extensions=requires(ADMIN),
    )
    async def discard_delivery(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RequeuePayload:
        try:
            row = await _staff_action(info, id, "OutboxDelivery", deliveries, outbox.discard)
        except ValidationError as exc:
            return RequeuePayload(delivery=None, errors=_errors(exc))
        return RequeuePayload(delivery=build(OutboxDelivery, row), errors=[])

    @strawberry.mutation(
        description="Retry a dead event hook with a fresh set of attempts.",
        extensions=requires(ADMIN),
    )
    async def requeue_event_hook(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RequeueHookPayload:
        try:
            row = await _staff_action(
                info, id, "EventHookFailure", hook_failures, events.requeue_event
            )
        except ValidationError as exc:
            return RequeueHookPayload(hook_failure=None, errors=_errors(exc))
        return RequeueHookPayload(hook_failure=build(EventHookFailure, row), errors=[])


def _errors(exc: ValidationError) -> list[UserError]:
    return [UserError(code=e.code, field=e.field, message=e.message) for e in exc.errors]
