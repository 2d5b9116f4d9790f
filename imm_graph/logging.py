"""structlog set-up: JSON lines in production, readable lines in development.

Personal data never goes to logs: a processor drops any key named like an identifiable field,
whatever a caller passed by mistake.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

# Keys that may carry identifiable data. Values under these keys are replaced, never printed.
REDACTED_KEYS = frozenset(
    {"nhs_number", "name", "given_name", "family_name", "full_name", "date_of_birth", "dob",
     "email", "phone", "telephone", "address", "postcode", "contact", "secret", "token",
     "api_key", "authorization", "password"}
)


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key.lower() in REDACTED_KEYS:
            event_dict[key] = "[redacted]"
    return event_dict


def _json_line(event: Any, **kwargs: Any) -> str:
    """structlog's JSON serializer, through orjson (every request writes an access line)."""
    return orjson.dumps(event, default=kwargs.get("default", str),
                        option=orjson.OPT_NON_STR_KEYS).decode()


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_json_line) if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Logs go to stderr: stdout belongs to command output (a new API key, an export).
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_: Any) -> structlog.PrintLogger:
    # sys.stderr is looked up per logger, not once: test runners and daemons replace it.
    return structlog.PrintLogger(file=sys.stderr)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
