"""GraphQL fields this plug-in adds to the root Query type (prefix names with the plug-in's)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ExampleQuery:
    @strawberry.field(description="A greeting from the example plug-in.")
    def example_greeting(self) -> str:
        return "Hello from the example plug-in"
