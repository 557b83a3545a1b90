"""The tier ladder and its benefits."""
