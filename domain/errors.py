"""Domain errors: expected failures with a stable code, mapped to payload errors in one place."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure of a business action: the caller can fix the input and retry."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    def __init__(self, what: str, *, field: str | None = None) -> None:
        super().__init__("NOT_FOUND", f"{what} not found", field=field)


class PermissionDenied(Exception):
    """The caller may not perform this action at all: a top-level error, not a payload error."""

    def __init__(self, message: str = "You are not allowed to do this") -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(PermissionDenied):
    def __init__(self, message: str = "Sign in to do this") -> None:
        super().__init__(message)
