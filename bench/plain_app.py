"""The baseline: a plain Strawberry app with none of our code, answering `{ hello }`."""

import strawberry
from strawberry.asgi import GraphQL


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


app = GraphQL(strawberry.Schema(query=Query), graphql_ide=None)
