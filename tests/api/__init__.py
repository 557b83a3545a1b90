"""API tests: one file per operation, through the public GraphQL API over HTTP."""
