"""ASGI application, settings, authentication, request context and command line."""
