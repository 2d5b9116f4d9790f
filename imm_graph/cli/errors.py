"""One line instead of a traceback when a command cannot use the database.

Staff run ``imm-graph migrate`` against a mistyped URL or a stopped server far more often than
they hit a bug; hundreds of lines of SQLAlchemy and asyncpg frames hide the one fact they need.
:class:`DatabaseErrorGroup` wraps every command (sub-apps and plug-in commands included) and
turns the database failures it recognises into a line on stderr and exit status 1; anything
else is a bug and keeps its traceback. Messages never show the password of the URL.
"""

from __future__ import annotations

import re
import socket
import sys
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import sqlalchemy.exc as sa_exc
import typer
from sqlalchemy.engine import make_url
from typer.core import TyperGroup

from imm_graph.config import get_settings

SETTING = "IMM_DATABASE_URL"
_DRIVER_PACKAGES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")
_AUTH_OR_CATALOG = (
    "InvalidAuthorizationSpecificationError",  # no such role
    "InvalidPasswordError",
    "InvalidCatalogNameError",  # no such database
    "CannotConnectNowError",  # starting up or shutting down
    "TooManyConnectionsError",
)


def redacted(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: hide whatever sits where one would be
        return re.sub(r"(^|//)([^:/@\s]*):[^@]*@", r"\1\2:***@", url)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (DBAPI ``orig``) and what caused it, outermost first."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def _from_package(tb: TracebackType | None, *packages: str) -> bool:
    """True when the traceback runs through one of these packages' code."""
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".")[0] in packages:
            return True
        tb = tb.tb_next
    return False


def describe(exc: BaseException, url: str) -> str | None:
    """The one line to print for ``exc``, or None when it is not a database failure."""
    shown = redacted(url)
    where = f"the database at {shown}"
    for error in _chain(exc):
        name = type(error).__name__
        if isinstance(error, sa_exc.ArgumentError) and "URL" in str(error):
            return (
                f"{SETTING} is not a database URL ({shown!r}) — expected e.g. "
                "postgresql+asyncpg://user:password@host/db or sqlite+aiosqlite:///./imm_graph.db"
            )
        if isinstance(error, sa_exc.NoSuchModuleError) or (
            isinstance(error, ModuleNotFoundError) and _names_the_driver(error, url)
        ):
            return (
                f"{SETTING} names a database imm_graph cannot use ({shown}) — use "
                "postgresql+asyncpg://… or sqlite+aiosqlite:///…"
            )
        if name in _AUTH_OR_CATALOG:
            return (
                f"the database server refused the connection to {shown}: {_first_line(error)} — "
                f"check the user, password and database name ({SETTING})"
            )
        if name == "UndefinedTableError" or "no such table" in str(error):
            return f"{where} has no imm_graph tables — run `imm-graph migrate` first ({SETTING})"
        if "unable to open database file" in str(error):
            return (
                f"cannot open {where}: unable to open the database file — does its directory "
                f"exist, and may this user write there? ({SETTING})"
            )
        if isinstance(error, OSError) and _from_package(error.__traceback__, *_DRIVER_PACKAGES):
            return f"cannot reach {where}: {_why_unreachable(error, url)} ({SETTING})"
    return None


def _names_the_driver(error: ModuleNotFoundError, url: str) -> bool:
    try:
        driver = make_url(url).get_driver_name()
    except Exception:
        return False
    return bool(error.name) and str(error.name).split(".")[0] == driver


def _why_unreachable(error: BaseException, url: str) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused — is the server running?"
    if isinstance(error, socket.gaierror):
        try:
            host = make_url(url).host
        except Exception:
            host = None
        return f"unknown host {host!r} — check the host name"
    if isinstance(error, TimeoutError):
        return "timed out — is the server running, and reachable from here?"
    return f"{_first_line(error)} — is the server running, and reachable from here?"


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


class DatabaseErrorGroup(TyperGroup):
    """The root command group: every sub-command runs inside :meth:`invoke`."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = describe(exc, _database_url())
            if message is None:
                raise
            sys.stderr.write(f"Error: {message}\n")
            _hush_aiosqlite_worker()
            raise typer.Exit(1) from None


def _hush_aiosqlite_worker() -> None:
    """Keep a failed SQLite connect to its one line.

    aiosqlite 0.22 stops its worker thread after a failed connect without waiting for it; when
    asyncio.run() has closed the loop first (a loaded machine), the thread's reply raises
    "Event loop is closed" and Python prints that thread's traceback after our line. The
    command has failed already; the echo says nothing more. Other thread errors still print.
    """
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if isinstance(args.exc_value, RuntimeError) and _from_package(
            args.exc_traceback, "aiosqlite"
        ):
            return
        previous(args)

    threading.excepthook = hook


def _database_url() -> str:
    try:
        return get_settings().database_url
    except Exception:  # the settings themselves are broken: describe() then finds nothing
        return ""
