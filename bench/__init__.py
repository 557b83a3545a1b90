"""The benchmark: our server against a plain Strawberry app, measured in the same run."""
