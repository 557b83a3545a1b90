"""Signing in, and who the caller is."""
