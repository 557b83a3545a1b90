"""Feedback in GraphQL: tickets and satisfaction surveys."""
