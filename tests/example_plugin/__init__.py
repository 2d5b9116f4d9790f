"""A worked example of an imm_graph plug-in, for partners to copy: it uses every hook.

Settings with secrets, its own scopes, a table with its own Alembic branch, GraphQL (root fields,
a field on the core ``Hub``, a node type ``node(id:)`` resolves), routes with three access
policies (an API key, public, a signed webhook with idempotency), a caller recognised by a
header, an event hook that tells a partner about recorded sessions through the outbox (ordered,
signed, with credentials fetched at send time), the delivery results, a periodic job, a lifespan,
a health report, a contribution to another plug-in's output, and a CLI command.
"""

__version__ = "1.2.3"
