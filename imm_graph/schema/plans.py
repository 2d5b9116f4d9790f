"""What a repeated request needs, learnt the first time it is answered: plans, cached.

Partners send the same small documents over and over (a page of hubs, one record by id, a
schema check). Parsing, validating, checking access and cost, and compiling SQL give the same
result every time for the same document, operation, variables and caller's scopes, so the first
answer leaves a `Plan` and later ones skip all of it:

- a refusal (invalid, over a limit, forbidden) is answered from the plan as it was;
- a constant answer (``{ __typename }``) is sent without touching the database;
- a compiled read keeps its SQL text and parameters, ready for the driver: the request goes
  from body to one prepared statement (asyncpg prepares it once per connection).

The key holds the caller's scopes, so a plan never serves a caller what their own checks would
refuse; data is always read fresh. The cache is bounded (least recently used out).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

MAX_VARIABLES_BYTES = 4096  # larger variable sets are rare and not worth a cache entry


@dataclass(frozen=True)
class Plan:
    sql: str | None = None  # run it: its one value is the ``data`` JSON text
    params: tuple[Any, ...] = ()
    body: bytes | None = None  # or answer with these bytes
    status: int = 200


def driver_sql(statement: sa.Executable, dialect: sa.Dialect) -> tuple[str, tuple[Any, ...]]:
    """The statement as the driver runs it: SQL text with positional parameters, compiled once.

    Done the way SQLAlchemy does it before each execute: expanding parameters (``IN`` lists)
    become one placeholder per value, then each value goes through its type's bind processor
    (enums to their stored strings and so on).
    """
    compiled = statement.compile(dialect=dialect)
    expanded = compiled._process_parameters_for_postcompile(compiled.construct_params())
    processors = expanded.processors
    values = []
    for name in expanded.positiontup or ():
        value = expanded.parameters[name]
        processor = processors.get(name)
        values.append(processor(value) if processor is not None else value)
    return expanded.statement, tuple(values)


class PlanCache:
    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._plans: OrderedDict[Hashable, Plan] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        method: str, query: str, operation: str | None, caller: Hashable,
        variables: dict[str, Any],
    ) -> Hashable | None:
        """None when the request is not worth caching (large variables)."""
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS) if variables else b""
        if len(encoded) > MAX_VARIABLES_BYTES:
            return None
        return (method, query, operation, caller, encoded)

    def get(self, key: Hashable) -> Plan | None:
        plan = self._plans.get(key)
        if plan is None:
            self.misses += 1
            return None
        self._plans.move_to_end(key)
        self.hits += 1
        return plan

    def put(self, key: Hashable, plan: Plan) -> None:
        self._plans[key] = plan
        self._plans.move_to_end(key)
        while len(self._plans) > self.maxsize:
            self._plans.popitem(last=False)
