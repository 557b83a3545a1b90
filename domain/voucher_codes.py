"""Voucher codes are bearer secrets: whoever reads one can have it taken at a counter.

The member sees their own codes in full; staff who read members see them masked, enough to match a
code a member reads out or shows, not enough to use it without the member.
"""

from __future__ import annotations

import re

MASK = "*"
SHOWN = 4  # the last letters or digits left readable
# A brand prefix such as CLUB or WINE says who honours the code, not the secret: it stays readable.
# Anything longer, or with digits, may be part of the secret and is masked like the rest.
_PREFIX = re.compile(r"[A-Za-z]{1,6}")


def masked(code: str) -> str:
    """The code with every letter and digit masked but the prefix and the last 4; separators kept.

    "CLUB-7KQ2-XM9D-4TRA" -> "CLUB-****-****-4TRA"; "7KQ2XM9D4TRA" -> "********4TRA". At least 4
    letters or digits stay masked, so a short code shows fewer than 4 ("V-000123" -> "V-****23", "AB12"
    -> "****").
    """
    head, dash, rest = code.partition("-")
    if not dash or not _PREFIX.fullmatch(head):
        head, dash, rest = "", "", code
    symbols = sum(char.isalnum() for char in rest)
    left = max(0, min(SHOWN, symbols - SHOWN))
    out = []
    for char in reversed(rest):
        if char.isalnum():
            out.append(char if left else MASK)
            left = max(0, left - 1)
        else:
            out.append(char)
    return head + dash + "".join(reversed(out))
