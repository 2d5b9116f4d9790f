"""Writes to the core domain, shared by GraphQL mutations, the CLI and the demo seeder."""

from imm_graph.services.writes import SPECS, create, parse, update

__all__ = ["SPECS", "create", "parse", "update"]
