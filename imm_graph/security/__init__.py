"""Who is calling and what they may do: scopes, principals, API keys, the HTTP gateway.

One package so that every security decision lives in one place: the scopes (open to
plug-ins), the caller (`Principal`, a Starlette user), API keys and their verification (a
Starlette `AuthenticationBackend`), rate limits, response headers, problem documents, and the
one ASGI layer that applies them to every request (`gateway.Gateway`).
"""
