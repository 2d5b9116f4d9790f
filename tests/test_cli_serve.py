"""`imm-graph serve` and `imm-graph keys create`, run as staff run them: in their own process."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from imm_graph.cli import server as cli_serve
from imm_graph.security.crypto import WARNED_ENV

WARNING = "insecure_development_keys"


def environment(database_url: str) -> dict[str, str]:
    """The caller's environment, as a fresh shell has it: no width, no warning already given."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", WARNED_ENV)}
    env.pop("IMM_ENCRYPTION_KEYS", None)
    env.pop("IMM_SECRET_KEY", None)
    return {**env, "IMM_DATABASE_URL": database_url, "IMM_ENVIRONMENT": "development"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


class Server:
    """`imm-graph serve` in the background, its stderr read line by line as it comes."""

    def __init__(self, database_url: str, *args: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "imm_graph.cli", "serve", "--port", str(self.port), *args],
            env=environment(database_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"exited before saying {text!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return

    def stop(self) -> str:
        """Interrupt as Ctrl-C would; the rest of stderr."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        while (line := self.lines.get(timeout=10)) is not None:
            self.seen.append(line)
        return "".join(self.seen)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serving_is_announced_once_it_is_true(database_url: str, workers: str) -> None:
    server = Server(database_url, "--workers", workers)
    try:
        server.wait_for(f"Serving on http://127.0.0.1:{server.port}/graphql")
        # Whoever reads the line can connect at once (with workers: queued until one is up).
        health = httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=60)
    finally:
        stderr = server.stop()

    assert health.status_code == 200, health.text
    assert server.process.returncode == 0, stderr
    assert stderr.count("Serving on") == 1
    assert stderr.count(WARNING) == 1, stderr  # once, not once per worker


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_served_logs_never_hold_a_token_sent_in_the_url(database_url: str) -> None:
    """uvicorn's own access log prints whole URLs; the server's log has the path only."""
    server = Server(database_url)
    try:
        server.wait_for("Serving on")
        url = f"http://127.0.0.1:{server.port}/graphql?query=%7B__typename%7D&token=imm_leak_s3cr3t"
        assert httpx.get(url, timeout=30).status_code == 200
        server.wait_for("http.request")
    finally:
        output = server.stop()
    assert server.process.stdout is not None
    output += server.process.stdout.read()  # where uvicorn's own access log would go
    assert "s3cr3t" not in output
    assert "path=/graphql" in output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_occupied_port_is_one_line(database_url: str, occupied_port: int, workers: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "imm_graph.cli", "serve", "--port", str(occupied_port),
         "--workers", workers],
        env=environment(database_url), capture_output=True, text=True, timeout=120, check=False,
    )

    assert result.returncode == 1
    assert result.stderr == (
        f"Error: port {occupied_port} on 127.0.0.1 is already in use — choose another with "
        "--port\n"
    )
    assert result.stdout == ""


def test_production_without_keys_stops_before_serving(tmp_path: Any) -> None:
    env = {**environment(f"sqlite+aiosqlite:///{tmp_path}/x.db"), "IMM_ENVIRONMENT": "production"}
    result = subprocess.run(
        [sys.executable, "-m", "imm_graph.cli", "serve", "--port", str(free_port()),
         "--workers", "2"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )

    assert result.returncode == 1
    assert result.stderr == (
        "Error: production needs IMM_SECRET_KEY and IMM_ENCRYPTION_KEYS: refusing to start "
        "without them\n"
    )


def test_the_server_keeps_proxy_headers_and_a_shutdown_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def config(app: str, **options: Any) -> None:
        configured.update(options, app=app)
        raise Stop

    monkeypatch.setattr(cli_serve.uvicorn, "Config", config)
    monkeypatch.setattr(cli_serve.crypto, "configure", lambda settings: None)
    with pytest.raises(Stop):
        cli_serve.serve(
            None, "127.0.0.1", free_port(), workers=3, reload=False,  # type: ignore[arg-type]
            announce=lambda: None,
        )

    assert configured["app"] == "imm_graph.app:create_app" and configured["factory"] is True
    assert configured["proxy_headers"] is True
    assert configured["timeout_graceful_shutdown"] == 10
    assert configured["workers"] == 3


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("nowhere.invalid", "unknown host 'nowhere.invalid' — choose another with --host"),
        ("192.0.2.1", "192.0.2.1 is not an address of this machine — choose another with --host"),
    ],
)
def test_a_host_that_cannot_be_bound(host: str, expected: str) -> None:
    with pytest.raises(cli_serve.ServeError, match=f"^{re.escape(expected)}$"):
        cli_serve.bind(host, free_port())


# --- keys create ------------------------------------------------------------------------------


def test_keys_create_prints_only_the_token_on_stdout(database_url: str) -> None:
    name = "Hounslow Council public health intelligence team, quarterly impact export"
    result = subprocess.run(
        [sys.executable, "-m", "imm_graph.cli", "keys", "create", "--name", name,
         "--scope", "read:core", "--scope", "read:impact"],
        env=environment(database_url), capture_output=True, text=True, timeout=120, check=False,
    )

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"imm_[a-z0-9]{12}_[A-Za-z0-9_-]{43}\n", result.stdout), result.stdout
    confirmation = [line for line in result.stderr.splitlines() if "Created key" in line]
    assert len(confirmation) == 1, result.stderr
    # One unbroken sentence, though stderr is a pipe and the line is far wider than 80 columns.
    assert f"for {name!r}: scopes read:core, read:impact; expires " in confirmation[0]
    assert result.stderr.count(WARNING) == 1  # on stderr, through the configured logger
