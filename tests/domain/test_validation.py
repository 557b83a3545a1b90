"""Checks of member-supplied values: what they normalise, and what they refuse with which code."""

from datetime import date

import pytest

from domain.errors import DomainError
from domain.validation import clean_birthday, clean_email, clean_phone, clean_text


def refusal(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, str | None, str]:
    return error.value.code, error.value.field, error.value.message


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("anna@example.com", "anna@example.com"),
        ("  Anna.Lin@Example.COM ", "anna.lin@example.com"),
        ("王@例子.中国", "王@例子.中国"),
    ],
)
def test_email_is_trimmed_and_lowercased(raw, clean):
    assert clean_email(raw) == clean


@pytest.mark.parametrize(
    "raw", ["", "anna", "anna@example", "@example.com", "anna@@example.com", "an na@example.com", "a@b.c" + "c" * 250]
)
def test_malformed_email_is_invalid(raw):
    with pytest.raises(DomainError) as error:
        clean_email(raw, field="contactEmail")
    assert refusal(error) == ("INVALID", "contactEmail", "Enter a valid email address")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("+41445551234", "+41445551234"),
        ("+41 44 555 12 34", "+41445551234"),
        ("+1 (212) 555-0100", "+12125550100"),
        ("+86 138.0013.8000", "+8613800138000"),
        ("+41 (0)44 555 12 34", "+41445551234"),
        ("+44 (0) 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_is_normalised_to_e164(raw, clean):
    assert clean_phone(raw) == clean


@pytest.mark.parametrize(
    "raw", ["0445551234", "0041445551234", "+0445551234", "+41 44 555 12 34 ext 5", "+12345", "+1234567890123456"]
)
def test_phone_not_in_international_form_is_invalid(raw):
    with pytest.raises(DomainError) as error:
        clean_phone(raw)
    assert refusal(error) == ("INVALID", "phone", "Enter the phone number in international form, e.g. +41445551234")


def test_text_is_trimmed_and_composed():
    assert clean_text("  Ame\u0301lie  ", field="name", max_length=10) == "Amélie"


def test_text_length_counts_composed_characters():
    assert clean_text("e\u0301" * 200, field="name", max_length=200) == "é" * 200


def test_text_keeps_line_breaks_and_tabs():
    assert clean_text("line one\nline\ttwo", field="note", max_length=50) == "line one\nline\ttwo"


def test_optional_text_may_be_empty():
    assert clean_text("   ", field="note", max_length=10, required=False) == ""


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("   ", "REQUIRED", "This value is required"),
        ("x" * 11, "TOO_LONG", "At most 10 characters"),
        ("bad\x00", "INVALID", "Control characters are not allowed"),
        ("bad\rline", "INVALID", "Control characters are not allowed"),
    ],
)
def test_text_refusals_name_the_field(raw, code, message):
    with pytest.raises(DomainError) as error:
        clean_text(raw, field="label", max_length=10)
    assert refusal(error) == (code, "label", message)


@pytest.mark.parametrize("birthday", [None, date(1900, 1, 1), date(2024, 6, 30)])
def test_birthday_from_1900_to_today_is_accepted(birthday):
    assert clean_birthday(birthday, today=date(2024, 6, 30)) == birthday


@pytest.mark.parametrize("birthday", [date(1899, 12, 31), date(2024, 7, 1)])
def test_birthday_before_1900_or_after_today_is_invalid(birthday):
    with pytest.raises(DomainError) as error:
        clean_birthday(birthday, today=date(2024, 6, 30))
    assert refusal(error) == ("INVALID", "birthday", "Enter a birthday between 1900 and today")
