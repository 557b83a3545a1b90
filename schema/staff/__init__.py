"""Staff of the club as seen through the API."""
