"""The audit log in GraphQL: the request's audit trail, and `auditLog` for those who read it."""
