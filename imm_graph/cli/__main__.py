"""``python -m imm_graph.cli``: the same as the ``imm-graph`` command."""

from imm_graph.cli import main

main()
