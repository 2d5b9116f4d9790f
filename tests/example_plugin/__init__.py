"""A worked example of an imm_graph plug-in, for partners to copy.

It shows every hook: settings with a secret, a GraphQL query field, a route, a CLI command and
an event hook that tells a partner about each recorded session through the outbox. The tests
install it through a real ``imm_graph.plugins`` entry point (see ``README.md`` here and
``docs/plugins.md``).
"""

__version__ = "1.2.3"
