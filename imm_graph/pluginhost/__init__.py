"""The plug-in host: the contract plug-ins implement, and the machinery that runs them.

``contract`` is the leaf (pluggy and the standard library only): the hook specifications, both
markers and the plain data the hooks return. Above it, each in its own module: plug-in
``settings``, the ``manager`` (discovery, order, isolation), domain ``events``, the ``outbox``
of outbound deliveries, the inbound ``webhooks`` kit, periodic ``jobs`` and the ``worker`` loop.
Plug-in authors import from ``imm_graph.plugin_api``, never from here.
"""
