"""The plug-in's GraphQL: root fields, a field on the core ``Hub``, and a node type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry import Info

from imm_graph.plugin_api import (
    PUBLIC,
    Connection,
    Context,
    Node,
    NodeType,
    UserError,
    ValidationError,
    connection_of,
    decode_pk,
    nested_connection_of,
    requires,
    user_errors,
)
from tests.example_plugin.models import ExampleNote as NoteRow

READ, WRITE = "read:examples", "write:examples"
notes = NoteRow.__table__


@strawberry.type(description="A note a partner keeps about a hub.")
class ExampleNote(Node):  # a Node: node(id:) resolves its global id, "ExampleNote:<pk>"
    text: str
    hub_id: strawberry.Private[int]


def build(row: Any) -> ExampleNote:
    return ExampleNote(pk=row.id, text=row.text, hub_id=row.hub_id)


async def load_notes(ctx: Context, keys: Sequence[int]) -> list[ExampleNote | None]:
    """For node(id:): one query for every key asked."""
    rows = {row.id: row for row in await ctx.fetch(sa.select(notes).where(notes.c.id.in_(keys)))}
    return [build(rows[k]) if k in rows else None for k in keys]


NODE = NodeType(ExampleNote, load_notes, scope=READ)


@strawberry.type
class ExampleQuery:
    @strawberry.field(description="A greeting anyone may read.", metadata=PUBLIC)
    def example_greeting(self) -> str:
        return "Hello from the example plug-in"

    @strawberry.field(extensions=requires(READ))
    async def example_notes(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[ExampleNote]:
        return await connection_of(info, notes, build, order=[("id", False)], first=first,
                                   after=after)


@strawberry.type
class ExampleNotePayload:
    note: ExampleNote | None
    errors: list[UserError]


@strawberry.type
class ExampleMutation:
    @strawberry.mutation(extensions=requires(WRITE))
    async def add_example_note(
        self, info: Info[Context, None], hub: strawberry.ID, text: str
    ) -> ExampleNotePayload:
        ctx = info.context
        try:
            hub_id = decode_pk(hub, "Hub", "hub")
            if not text.strip():
                raise ValidationError.single("text", "required", "text may not be empty")
            async with ctx.db.transaction(actor=ctx.actor) as session:
                row = NoteRow(hub_id=hub_id, text=text.strip())
                session.add(row)
                await session.flush()
                note = ExampleNote(pk=row.id, text=row.text, hub_id=hub_id)
        except ValidationError as exc:
            return ExampleNotePayload(note=None, errors=user_errors(exc.errors))
        return ExampleNotePayload(note=note, errors=[])

    @strawberry.mutation(description="Declared without a scope: it needs write:core.")
    def ping_example(self) -> str:
        return "pong"


@strawberry.type
class HubExampleNotes:
    """Added to the core ``Hub`` type: ``Hub.exampleNotes``."""

    @strawberry.field(extensions=requires(READ))
    async def example_notes(
        self, root: strawberry.Parent[Any], info: Info[Context, None]
    ) -> list[ExampleNote]:
        rows = await info.context.fetch(
            sa.select(notes).where(notes.c.hub_id == root.pk).order_by(notes.c.id)
        )
        return [build(row) for row in rows]


    @strawberry.field(extensions=requires(READ),
                      description="The hub's notes as a connection, hidden ones left out.")
    async def example_note_page(
        self, root: strawberry.Parent[Any], info: Info[Context, None], first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> Connection[ExampleNote]:
        # Batched: every hub of the query is paged in one statement (totals in one more).
        return await nested_connection_of(
            info, root.pk, notes, build, name="example.hub.notes", parent_column="hub_id",
            where=[notes.c.text != "(hidden)"], order=[("id", False)],
            first=first, after=after, last=last, before=before)
