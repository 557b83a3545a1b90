"""Checks of member-supplied values, each raising a DomainError that names the input field."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

from domain.errors import DomainError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def clean_email(email: str, *, field: str = "email") -> str:
    email = normalize_email(email)
    if len(email) > 254 or not _EMAIL.match(email):
        raise DomainError("INVALID", "Enter a valid email address", field=field)
    return email


def normalize_phone(phone: str) -> str:
    # "+41 (0)44 ..." marks the trunk prefix dialled only within the country: it is no part of E.164.
    return re.sub(r"[\s().-]", "", phone.replace("(0)", ""))


def clean_phone(phone: str | None, *, field: str = "phone") -> str | None:
    if phone is None or phone.strip() == "":
        return None
    phone = normalize_phone(phone)
    if not _E164.match(phone):
        raise DomainError("INVALID", "Enter the phone number in international form, e.g. +41445551234", field=field)
    return phone


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if required and not value:
        raise DomainError("REQUIRED", "This value is required", field=field)
    if len(value) > max_length:
        raise DomainError("TOO_LONG", f"At most {max_length} characters", field=field)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise DomainError("INVALID", "Control characters are not allowed", field=field)
    return value


def clean_birthday(birthday: date | None, *, today: date, field: str = "birthday") -> date | None:
    if birthday is None:
        return None
    if birthday > today or birthday.year < 1900:
        raise DomainError("INVALID", "Enter a birthday between 1900 and today", field=field)
    return birthday


MAX_RANGE = timedelta(days=3 * 366)  # the longest range an aggregate covers


def as_utc(moment: datetime) -> datetime:
    """Every time is kept in UTC; one given without an offset is taken as UTC, not as the server's zone."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def clean_range(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The range [since, until) in UTC; refused when empty, reversed or longer than three years."""
    since, until = as_utc(since), as_utc(until)
    if since >= until:
        raise DomainError("INVALID", "`from` must be before `to`", field="from")
    if until - since > MAX_RANGE:
        raise DomainError("INVALID", "The range covers at most 3 years", field="to")
    return since, until
