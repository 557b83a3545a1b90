"""A year of points history for the analytics scenario: earnings and redemptions written through the ledger.

The demo seed gives points to a few dozen members only; the points flow over 12 months should
summarise a ledger of the size a club of this many members keeps, so the benchmark adds one.
Written in time order through `domain.ledger`, so that balances, lots and invariants stay true
for the transfer run that follows on the same database.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

SEED = 20261125


async def add_points_history(database_url: str, *, earnings: int, now: datetime) -> int:
    """`earnings` credits over the 365 days before `now`, and a redemption after every fifth; returns entries added."""
    from domain import ledger, models
    from domain.db import close_database, open_database

    rng = random.Random(SEED)
    await open_database(database_url, migrate_schema=False)
    try:
        ids = await models.Member.filter(status=models.MemberStatus.ACTIVE).order_by("id").values_list("id", flat=True)
        moves: list[tuple[datetime, int, int, bool]] = []  # (when, member, points, is a redemption)
        for n in range(earnings):
            member_id = rng.choice(ids)
            when = now - timedelta(days=365) + timedelta(seconds=rng.randrange(365 * 86_400))
            points = rng.randint(20, 2_000)
            moves.append((when, member_id, points, False))
            if n % 5 == 0:
                moves.append((when + timedelta(hours=rng.randint(1, 24 * 60)), member_id, points // 2, True))
        earned = ledger.EntryFields(source=models.EntrySource.PURCHASE, reason="benchmark history")
        spent = ledger.EntryFields(source=models.EntrySource.REDEMPTION, reason="benchmark history")
        added = 0
        for when, member_id, points, redemption in sorted(moves):
            when = min(when, now)
            # Each redemption follows the credit it spends half of: the balance always covers it.
            if redemption:
                await ledger.debit(
                    member_id=member_id, points=points, kind=models.EntryKind.REDEEM, fields=spent, now=when
                )
            else:
                await ledger.credit(member_id=member_id, points=points, fields=earned, now=when)
            added += 1
        return added
    finally:
        await close_database()
