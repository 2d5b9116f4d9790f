"""A database the command line cannot use is one line on stderr, never a traceback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from imm_graph.cli.errors import _hush_aiosqlite_worker, describe, redacted
from tests.test_cli import imm_graph

PASSWORD = "s3cret-Pa55"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound by us, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def assert_one_line(result: object, *expected: str) -> None:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 1, stderr  # type: ignore[attr-defined]
    assert stderr.count("\n") == 1 and stderr.startswith("Error: "), stderr
    for text in expected:
        assert text in stderr, stderr
    assert PASSWORD not in stderr
    assert result.stdout == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "command",
    [["migrate"], ["keys", "list"], ["audit", "list"], ["seed", "--demo"], ["worker", "--once"]],
    ids=" ".join,
)
def test_an_unreachable_server(command: list[str], closed_port: int) -> None:
    url = f"postgresql+asyncpg://imm:{PASSWORD}@127.0.0.1:{closed_port}/imm"

    result = imm_graph(*command, database_url=url)

    assert_one_line(
        result,
        f"cannot reach the database at postgresql+asyncpg://imm:***@127.0.0.1:{closed_port}/imm",
        "connection refused — is the server running? (IMM_DATABASE_URL)",
    )


def test_a_sqlite_file_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/imm.db"

    result = imm_graph("migrate", database_url=url)

    assert_one_line(result, f"cannot open the database at {url}", "does its directory exist")


def test_a_sqlite_database_not_yet_migrated(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/new.db"

    result = imm_graph("keys", "list", database_url=url)

    assert_one_line(result, f"the database at {url} has no imm_graph tables", "imm-graph migrate")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"imm:{PASSWORD}@localhost/imm", "IMM_DATABASE_URL is not a database URL"),
        (f"mysql+aiomysql://imm:{PASSWORD}@localhost/imm", "names a database imm_graph cannot use"),
        (f"oracle://imm:{PASSWORD}@localhost/imm", "names a database imm_graph cannot use"),
    ],
    ids=["no scheme", "a driver that is not installed", "an unsupported database"],
)
def test_a_malformed_or_unsupported_url(url: str, expected: str) -> None:
    assert_one_line(imm_graph("migrate", database_url=url), expected)


def test_other_failures_keep_their_traceback(tmp_path: Path) -> None:
    """Only database failures are shortened: anything else is a bug and must show where."""
    missing = tmp_path / "no" / "dir" / "schema.graphql"

    result = imm_graph(
        "export-schema", "-o", str(missing), database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"
    )

    assert result.returncode != 0
    assert "FileNotFoundError" in result.stderr and "Error: cannot" not in result.stderr


# --- the pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+asyncpg://imm:pw@db:5432/imm", "postgresql+asyncpg://imm:***@db:5432/imm"),
        ("postgresql+asyncpg://imm@db/imm", "postgresql+asyncpg://imm@db/imm"),
        ("bad url://imm:pw@db/imm", "bad url://imm:***@db/imm"),
        ("sqlite+aiosqlite:///./imm_graph.db", "sqlite+aiosqlite:///./imm_graph.db"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_an_os_error_outside_the_database_layers_is_not_described() -> None:
    try:
        raise ConnectionRefusedError(111, "refused")  # raised here, not by a database driver
    except ConnectionRefusedError as exc:
        assert describe(exc, "postgresql+asyncpg://db/imm") is None


def test_after_a_failure_only_aiosqlite_thread_echoes_are_hushed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: printed.append(str(args.exc_value)))
    namespace: dict[str, object] = {"__name__": "aiosqlite.core"}
    exec("def worker():\n    raise RuntimeError('Event loop is closed')", namespace)

    def ours() -> None:
        raise RuntimeError("a bug of ours")

    _hush_aiosqlite_worker()
    for target in (namespace["worker"], ours):
        thread = threading.Thread(target=target)  # type: ignore[arg-type]
        thread.start()
        thread.join()

    assert printed == ["a bug of ours"]
