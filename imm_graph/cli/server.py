"""`imm-graph serve`: bind first, then say so.

uvicorn.run() binds inside the server, so a command that prints "Serving on …" first tells a
user with an occupied port that it is serving, then fails in a traceback. Here the command
binds the socket itself and hands it to uvicorn (one process, ``--workers N`` or ``--reload``
alike); a port that cannot be had is one line and exit status 1, and "Serving on …" appears
only once the single server has started, or once the socket is bound for the workers.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

import uvicorn
from uvicorn.supervisors import ChangeReload, Multiprocess

from imm_graph.config import Settings
from imm_graph.security import crypto

APP = "imm_graph.app:create_app"
BACKLOG = 2048  # uvicorn's default
GRACEFUL_SHUTDOWN_SECONDS = 10  # open requests get this long, then shutdown completes anyway


class ServeError(Exception):
    """The server cannot start; the message says what to change."""


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound and listening, inheritable by worker processes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is fine
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(_why_not(exc, host, port)) from None
    # Listening now, not when a worker starts: a client that read "Serving on" waits in the
    # backlog for a worker instead of being refused.
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _why_not(exc: OSError, host: str, port: int) -> str:
    if isinstance(exc, socket.gaierror):
        return f"unknown host {host!r} — choose another with --host"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use — choose another with --port"
    if exc.errno == errno.EACCES:
        return f"port {port} on {host} needs privileges — choose one above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine — choose another with --host"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says it is serving once it is."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._announce()


def serve(
    settings: Settings, host: str, port: int, *, workers: int, reload: bool,
    announce: Callable[[], None],
) -> None:
    """Serve the app until stopped.

    Raises ServeError when the port cannot be had and crypto.ConfigurationError when production
    lacks its keys: both before any worker starts, so either is one line, not one per worker.
    """
    sock = bind(host, port)  # first: an occupied port is the only thing said
    try:
        # In this process: the development-keys warning is logged once, not once per worker.
        crypto.configure(settings)
    except crypto.ConfigurationError:
        sock.close()
        raise
    config = uvicorn.Config(
        APP, factory=True, host=host, port=port, workers=workers, reload=reload,
        log_level="info", proxy_headers=True, backlog=BACKLOG,
        # The gateway writes the access log (request id, caller, no query string: a token
        # sent in a URL must not reach the logs); uvicorn's own would print the full URL.
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    try:
        if config.should_reload:
            announce()
            ChangeReload(config, target=uvicorn.Server(config).run, sockets=[sock]).run()
        elif config.workers > 1:
            announce()
            Multiprocess(config, sockets=[sock]).run()
        else:
            _AnnouncingServer(config, announce).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
