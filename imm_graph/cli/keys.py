"""`imm-graph keys …` and `imm-graph audit …`: partner API keys, encryption keys, the audit log.

Staff create a key for a partner, hand over the printed token once (only its hash is stored),
and revoke it when the partnership ends or the token leaks. Key creation and revocation are
themselves audited, as ``cli:<user>``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from imm_graph.config import get_settings
from imm_graph.db import Base, Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.models import ApiKey
from imm_graph.pluginhost.manager import import_plugin_models
from imm_graph.security import audit
from imm_graph.security.audit import Actor
from imm_graph.security.crypto import EncryptedString, keyring, new_fernet_key
from imm_graph.security.keys import create_api_key, revoke_api_key
from imm_graph.security.scopes import SCOPES

keys_app = typer.Typer(help="Partner API keys and the encryption keys.", no_args_is_help=True)
audit_app = typer.Typer(
    help="The audit log: changes and reads of personal data.", no_args_is_help=True
)
# Soft wrap: when stderr is a file or a pipe, rich would break sentences at 80 columns.
err = Console(stderr=True, soft_wrap=True)
out = Console()
T = TypeVar("T")


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(get_settings().database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except ValidationError as exc:
        for e in exc.errors:
            err.print(f"[red]{e.field}: {e.message}[/red]")
        raise typer.Exit(2) from None


def _when(value: dt.datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M")


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who the key is for, e.g. 'Hounslow Council data'")],
    scope: Annotated[
        list[str], typer.Option("--scope", "-s", help=f"Repeat per scope: {', '.join(SCOPES)}")
    ],
    organisation_id: Annotated[
        int | None, typer.Option(help="The partner organisation's id, if any")
    ] = None,
    expires_in_days: Annotated[
        int, typer.Option(help="Days until the key stops working (0: never)", min=0)
    ] = 365,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute for this key (default: the server's)")
    ] = None,
) -> None:
    """Create an API key. The token is printed once, on standard output: store it now."""
    expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None

    async def work(db: Database) -> tuple[str, str, list[str]]:
        async with db.transaction(actor=Actor.cli()) as session:
            new = await create_api_key(
                session, name=name, scopes=scope, organisation_id=organisation_id,
                expires_at=expires, rate_limit_per_minute=rate_limit,
            )
            await audit.record(
                session, action="keys.create", object_type="ApiKey", object_ids=[new.key.key_id]
            )
            return new.key.key_id, new.token, list(new.key.scopes)

    key_id, token, scopes = _run(work)
    err.print(
        f"[green]Created key {key_id}[/green] for {name!r}: scopes {', '.join(scopes)}; "
        f"expires {_when(expires)}.\n[bold]The token below is shown only once; only its hash "
        "is stored.[/bold] Send it as `Authorization: Bearer <token>`."
    )
    print(token)


@keys_app.command("list")
def list_keys(
    all: Annotated[bool, typer.Option("--all", help="Include revoked and expired keys")] = False,
) -> None:
    """List API keys (never their secrets)."""

    async def work(db: Database) -> list[ApiKey]:
        async with db.sessions() as session:
            return list(await session.scalars(sa.select(ApiKey).order_by(ApiKey.created_at)))

    now = utcnow()
    table = Table(
        "key id", "name", "organisation", "scopes", "created", "expires", "last used", "state",
        title="API keys",
    )
    for key in _run(work):
        state = key.state(now)
        if state != "active" and not all:
            continue
        table.add_row(
            key.key_id, key.name, str(key.organisation_id or "—"), " ".join(key.scopes),
            _when(key.created_at), _when(key.expires_at), _when(key.last_used_at), state,
        )
    out.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `keys list`")]) -> None:
    """Revoke an API key: it stops working at once, on every server."""

    async def work(db: Database) -> str:
        async with db.transaction(actor=Actor.cli()) as session:
            key = await revoke_api_key(session, key_id)
            await audit.record(
                session, action="keys.revoke", object_type="ApiKey", object_ids=[key.key_id]
            )
            return key.name

    name = _run(work)
    err.print(f"[green]Revoked key {key_id}[/green] ({name}).")


@keys_app.command("new-encryption-key")
def new_encryption_key() -> None:
    """Print a fresh key for IMM_ENCRYPTION_KEYS (put it first to make it current)."""
    print(new_fernet_key())


@keys_app.command("reencrypt")
def reencrypt() -> None:
    """Re-encrypt stored personal data under the current (first) key of IMM_ENCRYPTION_KEYS.

    Run after adding a new key; afterwards the old keys can be dropped from the setting.
    """
    count = _run(reencrypt_personal_data)
    err.print(f"[green]Re-encrypted {count} rows (personal data of participants and every "
              "plug-in table with encrypted columns).[/green]")


def encrypted_columns() -> dict[sa.Table, list[str]]:
    """Every table holding encrypted columns, core and installed plug-ins alike: a plug-in's
    referral or contact columns need re-keying as much as a participant's."""
    import_plugin_models()
    found = {}
    for table in Base.metadata.sorted_tables:
        names = [c.name for c in table.columns if isinstance(c.type, EncryptedString)]
        if names:
            found[table] = names
    return found


async def reencrypt_personal_data(db: Database) -> int:
    """Rotate every stored token to the current key (and to the current format), table by
    table in batches of 500 rows, without building model objects (tokens are read as text and
    rotated in place); tokens already current are left alone. The rows changed."""
    ring = keyring()
    done = 0
    for table, names in encrypted_columns().items():
        [key] = table.primary_key.columns
        raw = sa.table(table.name, sa.column(key.name), *(sa.column(n, sa.Text) for n in names))
        has_any = sa.or_(*(raw.c[name].is_not(None) for name in names))
        last: Any = None
        while True:
            async with db.transaction(actor=Actor.cli()) as session:
                query = sa.select(raw).where(has_any).order_by(raw.c[key.name]).limit(500)
                if last is not None:
                    query = query.where(raw.c[key.name] > last)
                rows = (await session.execute(query)).all()
                for row in rows:
                    values: dict[str, Any] = {
                        name: ring.rotate(token) for name in names
                        if (token := row._mapping[name]) is not None
                        and not ring.is_current(token)
                    }
                    if values:
                        await session.execute(sa.update(raw).where(
                            raw.c[key.name] == row._mapping[key.name]).values(**values))
                        done += 1
            if not rows:
                break
            last = rows[-1]._mapping[key.name]
    return done


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(help="How many entries, latest first")] = 50,
    action: Annotated[str | None, typer.Option(help="e.g. read:personal, createHub")] = None,
    object_type: Annotated[str | None, typer.Option(help="e.g. Participant")] = None,
) -> None:
    """Show the latest audit entries (ids and field names only, never personal values)."""

    async def work(db: Database) -> list[Any]:
        async with db.sessions() as session:
            return await audit.recent(
                session, limit=limit, action=action, object_type=object_type
            )

    table = Table("at (UTC)", "actor", "action", "object", "ids", "fields", title="Audit log")
    for entry in _run(work):
        table.add_row(
            entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.actor, entry.action, entry.object_type,
            " ".join(entry.object_ids), " ".join(entry.fields or ()),
        )
    out.print(table)
