"""Signatures of the partner protocol: what passes, and every way a request is refused."""

import pytest

from domain.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, signature_headers, verify

SECRET = "partner-signing-secret"
BODY = b'{"redemptionId": "r-1"}'
NOW = 1_790_000_000


def test_a_signed_request_passes_within_the_window_whatever_the_header_case():
    headers = {name.lower(): value for name, value in signature_headers(SECRET, BODY, now=NOW).items()}
    assert verify(SECRET, headers, BODY, now=NOW + 299) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.pop(SIGNATURE_HEADER), "Sign the request"),
        (lambda h: h.update({TIMESTAMP_HEADER: "yesterday"}), "must be a Unix time"),
        (lambda h: h.update({TIMESTAMP_HEADER: str(NOW - 301)}), "more than 300 seconds"),
        (lambda h: h.update({SIGNATURE_HEADER: "v1=" + "0" * 64}), "does not match"),
    ],
    ids=["unsigned", "bad timestamp", "too old", "wrong signature"],
)
def test_a_request_is_refused_naming_what_is_wrong(change, message):
    headers = signature_headers(SECRET, BODY, now=NOW)
    change(headers)
    with pytest.raises(SignatureError, match=message):
        verify(SECRET, headers, BODY, now=NOW)


def test_another_body_or_another_secret_does_not_match():
    headers = signature_headers(SECRET, BODY, now=NOW)
    with pytest.raises(SignatureError):
        verify(SECRET, headers, BODY + b" ", now=NOW)
    with pytest.raises(SignatureError):
        verify("another secret", headers, BODY, now=NOW)
