"""The domain's writes and reads: validation, audit, events, impact; the typed API that
GraphQL, the command line, the seeder and plug-ins all call."""

from imm_graph.services.writes import SPECS, create, parse, update

__all__ = ["SPECS", "create", "parse", "update"]
