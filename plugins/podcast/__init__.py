"""The podcast plug-in: the Talking Generations catalogue and a feed every podcast app accepts.

Shows, seasons and episodes are kept in the plug-in's own tables; IMM's campaign team edits them
through GraphQL (scope ``publish:podcast``); directories and listeners read the public RSS feed at
``/plugins/podcast/<show>/feed.xml`` (RSS 2.0 + Apple + Podcasting 2.0 namespaces). See README.md.
"""

__version__ = "1.0.0"
