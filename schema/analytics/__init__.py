"""Staff analytics: club-wide figures computed by SQL aggregates."""
