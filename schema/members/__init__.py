"""Members: profile, preferences, important dates and consents."""
