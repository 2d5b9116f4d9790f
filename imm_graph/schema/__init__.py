"""The GraphQL schema: types, queries, mutations, loaders, pagination and the HTTP endpoint."""
