"""Masked voucher codes: the prefix and the last 4 stay readable, never fewer than 4 symbols masked."""

import pytest

from domain.voucher_codes import masked


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("CLUB-7KQ2-XM9D-4TRA", "CLUB-****-****-4TRA"),  # the club's own
        ("TEST-9F3A-02C1", "TEST-****-02C1"),  # the reference partner's
        ("7KQ2XM9D4TRA", "********4TRA"),  # no dash: no prefix
        ("7KQ2 XM9D 4TRA", "**** **** 4TRA"),  # separators kept
        ("V-000123", "V-****23"),  # short: at least 4 stay masked
        ("AB12", "****"),
        ("WINE-AB12", "WINE-****"),
        ("ABCDEFGH-1234", "********-1234"),  # too long for a prefix: it may be the secret
        ("X9-ABCD-1234", "**-****-1234"),  # digits: not a brand prefix
        ("", ""),
    ],
)
def test_a_code_is_masked_but_its_prefix_and_last_four(code, shown):
    # when / then
    assert masked(code) == shown
