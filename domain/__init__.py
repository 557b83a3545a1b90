"""Tortoise models and the club's business rules; callable without GraphQL."""
