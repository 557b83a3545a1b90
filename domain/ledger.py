"""The points ledger: append-only entries, lots spent oldest-expiry first, and the member's balance.

Every function here runs in one transaction whose first statement locks the member's row with a
conditional UPDATE (a row lock on PostgreSQL, the write lock on SQLite), so that concurrent moves
of one member's points queue up instead of reading stale balances. The invariants, checked by
`check_invariants`: for every member, sum of entries = balance = sum of lot remainders, and for
every lot, remaining = amount - what entries took from it, within 0..amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise import connections
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain import live, models, rules
from domain.errors import DomainError, NotFound
from domain.models import EntryKind, EntrySource

CREDIT_KINDS = frozenset({EntryKind.EARN, EntryKind.ADJUST, EntryKind.RELEASE, EntryKind.TRANSFER_IN})
DEBIT_KINDS = frozenset(
    {EntryKind.REDEEM, EntryKind.EXPIRE, EntryKind.ADJUST, EntryKind.REVERSE, EntryKind.HOLD, EntryKind.TRANSFER_OUT}
)


class LedgerCorrupted(RuntimeError):
    """The lots do not cover the balance: a bug, never an expected outcome."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class EntryFields:
    """What describes an entry besides its amount; shared by credits and debits."""

    source: EntrySource
    reason: str = ""
    created_by_id: int | None = None
    purchase_id: int | None = None
    campaign_id: int | None = None
    counterpart_id: int | None = None
    reverses_id: int | None = None
    reference: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError("INVALID", "The number of points must be a positive whole number", field="points")
    return amount


async def _locked_member(member_id: int) -> models.Member:
    """Lock the member's row for the rest of the transaction, then read it."""
    if await models.Member.filter(id=member_id).update(points_balance=F("points_balance")) != 1:
        raise NotFound("Member", field="memberId")
    return await models.Member.get(id=member_id)


async def lock_members(member_ids: Iterable[int | None]) -> dict[int, models.Member]:
    """Lock several members' rows for the rest of the transaction, in id order, and read them.

    An action that moves two members' points (a transfer, a referral reward) locks both first, so
    that two such actions over the same members queue up instead of deadlocking on PostgreSQL.
    """
    return {
        member_id: await _locked_member(member_id)
        for member_id in sorted({member_id for member_id in member_ids if member_id is not None})
    }


async def _append(member_id: int, kind: EntryKind, amount: int, balance_after: int, fields: EntryFields, now: datetime):
    return await models.LedgerEntry.create(
        member_id=member_id, kind=kind, amount=amount, balance_after=balance_after, created_at=now, **fields.as_dict()
    )


async def _consume(entry: models.LedgerEntry, amount: int, *, prefer_lot_ids: Sequence[int] = ()) -> None:
    """Take `amount` from the member's lots, the preferred ones first, then oldest expiry first."""
    lots = await models.PointsLot.filter(member_id=entry.member_id, remaining__gt=0).order_by("expires_at", "id")
    preferred = [lot for lot in lots if lot.id in prefer_lot_ids]
    ordered = preferred + [lot for lot in lots if lot.id not in prefer_lot_ids]
    left = amount
    for lot in ordered:
        if left == 0:
            break
        take = min(lot.remaining, left)
        if await models.PointsLot.filter(id=lot.id, remaining__gte=take).update(remaining=F("remaining") - take) != 1:
            raise LedgerCorrupted(f"lot {lot.id} changed under the member lock")
        await models.LotConsumption.create(entry_id=entry.id, lot_id=lot.id, amount=take)
        left -= take
    if left:
        raise LedgerCorrupted(f"member {entry.member_id}: lots fall {left} points short of the balance")


async def _clear_debt(
    member: models.Member, balance: int, points: int, lot_ids: Sequence[int], now: datetime
) -> tuple[int, list[models.LedgerEntry]]:
    """Points owed from earlier refunds are taken from what was just credited, first of all."""
    cleared = min(points, member.points_debt)
    if not cleared:
        return balance, []
    balance -= cleared
    member.points_debt -= cleared
    fields = EntryFields(source=EntrySource.REFUND, reason="Clears points owed from a refund")
    entry = await _append(member.id, EntryKind.REVERSE, -cleared, balance, fields, now)
    await _consume(entry, cleared, prefer_lot_ids=lot_ids)
    return balance, [entry]


async def _save_balance(member: models.Member, balance: int) -> None:
    # Under the member's lock: the row-count check guards against a bug, not against a race.
    if await models.Member.filter(id=member.id).update(points_balance=balance, points_debt=member.points_debt) != 1:
        raise LedgerCorrupted(f"member {member.id} vanished under its lock")
    member.points_balance = balance
    # Every balance and debt change passes here; subscribers hear of it once the transaction commits.
    await live.publish(live.points_channel(member.id), {})


async def credit(
    *,
    member_id: int,
    points: int,
    fields: EntryFields,
    kind: EntryKind = EntryKind.EARN,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> list[models.LedgerEntry]:
    """Add points in a new lot; points owed from earlier refunds are cleared from it first.

    Returns the credit entry, then the entry that cleared the debt when there was one.
    """
    assert kind in CREDIT_KINDS
    points = _positive(points)
    now = now or utcnow()
    async with in_transaction():
        member = await _locked_member(member_id)
        balance = member.points_balance + points
        entry = await _append(member_id, kind, points, balance, fields, now)
        lot = await models.PointsLot.create(
            member_id=member_id,
            entry_id=entry.id,
            amount=points,
            remaining=points,
            earned_at=now,
            expires_at=expires_at or now + timedelta(days=rules.RULES.points_lifetime_days),
        )
        balance, settled = await _clear_debt(member, balance, points, [lot.id], now)
        await _save_balance(member, balance)
    return [entry, *settled]


async def _expire_due(member: models.Member, now: datetime) -> int:
    """Expire the member's lots that are past their date, under the member's lock; returns points expired.

    Run before every spend as well as by the job, so that points past their date are never spent.
    """
    due = await models.PointsLot.filter(member_id=member.id, expires_at__lte=now, remaining__gt=0).order_by(
        "expires_at", "id"
    )
    balance = member.points_balance
    for lot in due:
        balance -= lot.remaining
        fields = EntryFields(source=EntrySource.EXPIRY, reason=f"Points earned on {lot.earned_at:%Y-%m-%d} expired")
        entry = await _append(member.id, EntryKind.EXPIRE, -lot.remaining, balance, fields, now)
        await _consume(entry, lot.remaining, prefer_lot_ids=[lot.id])
    expired = member.points_balance - balance
    if expired:
        await _save_balance(member, balance)
    return expired


async def debit(
    *,
    member_id: int,
    points: int,
    kind: EntryKind,
    fields: EntryFields,
    now: datetime | None = None,
    prefer_lot_ids: Sequence[int] = (),
    shortfall_to_debt: bool = False,
    expire_first: bool = True,
) -> models.LedgerEntry | None:
    """Take points, oldest-expiry lots first; refused when the balance is short.

    With `shortfall_to_debt` (refunds only), takes what the balance has and records the rest as
    debt that later credits clear; returns None when the balance had nothing to take.
    """
    assert kind in DEBIT_KINDS
    points = _positive(points)
    now = now or utcnow()
    async with in_transaction():
        member = await _locked_member(member_id)
        if expire_first:
            await _expire_due(member, now)
        if member.points_balance < points:
            if not shortfall_to_debt:
                raise DomainError(
                    "INSUFFICIENT_POINTS", f"Only {member.points_balance} points are available", field="points"
                )
            member.points_debt += points - member.points_balance
            points = member.points_balance
        balance = member.points_balance - points
        await _save_balance(member, balance)
        if points == 0:
            return None
        entry = await _append(member_id, kind, -points, balance, fields, now)
        await _consume(entry, points, prefer_lot_ids=prefer_lot_ids)
    return entry


async def hold(
    *,
    member_id: int,
    points: int,
    reference: str,
    now: datetime | None = None,
    source: EntrySource = EntrySource.REDEMPTION,
    reason: str = "Held for a redemption",
) -> models.LedgerEntry:
    """Set points aside for a purchase in progress; `capture` spends them, `release` gives them back."""
    fields = EntryFields(source=source, reason=reason, reference=reference)
    entry = await debit(member_id=member_id, points=points, kind=EntryKind.HOLD, fields=fields, now=now)
    assert entry is not None
    return entry


async def _give_back(
    taken_id: int, taken_kinds: frozenset[EntryKind], kind: EntryKind, reason: str, now: datetime, *, clear_debt: bool
) -> models.LedgerEntry:
    """Undo a debit entry: its points go back to the very lots they came from, expiry dates unchanged."""
    taken = await models.LedgerEntry.get_or_none(id=taken_id, kind__in=taken_kinds)
    if taken is None:
        raise NotFound("Ledger entry")
    member = await _locked_member(taken.member_id)
    if await models.LedgerEntry.filter(reverses_id=taken.id, kind=kind).exists():
        raise DomainError("ALREADY_RELEASED", "These points were already given back")
    balance = member.points_balance - taken.amount
    fields = EntryFields(source=taken.source, reason=reason, reverses_id=taken.id, reference=taken.reference)
    entry = await _append(taken.member_id, kind, -taken.amount, balance, fields, now)
    lot_ids = []
    for consumed in await models.LotConsumption.filter(entry_id=taken.id):
        await models.PointsLot.filter(id=consumed.lot_id).update(remaining=F("remaining") + consumed.amount)
        await models.LotConsumption.create(entry_id=entry.id, lot_id=consumed.lot_id, amount=-consumed.amount)
        lot_ids.append(consumed.lot_id)
    if clear_debt:
        balance, _ = await _clear_debt(member, balance, entry.amount, lot_ids, now)
    await _save_balance(member, balance)
    return entry


async def _unhold(hold_entry_id: int, reason: str, now: datetime, *, clear_debt: bool) -> models.LedgerEntry:
    return await _give_back(hold_entry_id, frozenset({EntryKind.HOLD}), EntryKind.RELEASE, reason, now, clear_debt=clear_debt)


async def refund(*, entry_id: int, reason: str, now: datetime | None = None) -> models.LedgerEntry:
    """Give back the points a redemption spent, as a positive reverse entry, to the lots they came from.

    Points owed from a refund of a purchase made meanwhile are cleared from them first. A lot that
    expired meanwhile is expired again by the next spend or the expiry job.
    """
    async with in_transaction():
        return await _give_back(
            entry_id, frozenset({EntryKind.REDEEM}), EntryKind.REVERSE, reason, now or utcnow(), clear_debt=True
        )


async def release(*, hold_entry_id: int, reason: str, now: datetime | None = None) -> models.LedgerEntry:
    """Give held points back to the very lots they came from, expiry dates unchanged.

    Points owed from a refund made meanwhile are cleared from them first, as from any credit.
    """
    async with in_transaction():
        return await _unhold(hold_entry_id, reason, now or utcnow(), clear_debt=True)


async def capture(*, hold_entry_id: int, reason: str, now: datetime | None = None) -> models.LedgerEntry:
    """Spend held points: release them and redeem the same amount from the same lots, atomically.

    The held points were set aside before any debt or expiry that came later: they are spent as held.
    """
    now = now or utcnow()
    async with in_transaction():
        released = await _unhold(hold_entry_id, reason, now, clear_debt=False)
        held_lots = await models.LotConsumption.filter(entry_id=hold_entry_id).values_list("lot_id", flat=True)
        fields = EntryFields(source=released.source, reason=reason, reference=released.reference)
        entry = await debit(
            member_id=released.member_id,
            points=released.amount,
            kind=EntryKind.REDEEM,
            fields=fields,
            now=now,
            prefer_lot_ids=list(held_lots),
            expire_first=False,
        )
    assert entry is not None
    return entry


async def expire_due_lots(*, now: datetime | None = None, batch: int = 500) -> int:
    """Expire every lot past its date with points left, one member per transaction. Returns points expired."""
    now = now or utcnow()
    expired = 0
    while True:
        member_ids = await (
            models.PointsLot.filter(expires_at__lte=now, remaining__gt=0)
            .distinct()
            .order_by("member_id")
            .limit(batch)
            .values_list("member_id", flat=True)
        )
        if not member_ids:
            return expired
        for member_id in member_ids:
            async with in_transaction():
                expired += await _expire_due(await _locked_member(member_id), now)


@dataclass(frozen=True, slots=True)
class Violation:
    member_id: int | None
    lot_id: int | None
    problem: str


# Each query returns only the rows that break an invariant. Points owed while points are spendable
# is a broken invariant too: every credit clears debt first.
_BALANCE_CHECK = """
SELECT * FROM (
  SELECT m.id AS member_id, m.points_balance AS balance, m.points_debt AS debt,
         COALESCE((SELECT SUM(e.amount) FROM ledger_entry e WHERE e.member_id = m.id), 0) AS entries,
         COALESCE((SELECT SUM(l.remaining) FROM points_lot l WHERE l.member_id = m.id), 0) AS lots
  FROM member m
) t WHERE balance <> entries OR balance <> lots OR balance < 0 OR debt < 0
"""
_LOT_CHECK = """
SELECT * FROM (
  SELECT l.id AS lot_id, l.member_id AS member_id, l.amount AS amount, l.remaining AS remaining,
         COALESCE((SELECT SUM(c.amount) FROM lot_consumption c WHERE c.lot_id = l.id), 0) AS taken
  FROM points_lot l
) t WHERE remaining <> amount - taken OR remaining < 0 OR remaining > amount
"""


async def check_invariants() -> list[Violation]:
    """Every broken invariant of the whole ledger."""
    connection = connections.get("default")
    balances = await connection.execute_query_dict(_BALANCE_CHECK)
    lots = await connection.execute_query_dict(_LOT_CHECK)
    return [
        Violation(
            row["member_id"],
            None,
            f"balance {row['balance']}, entries sum {row['entries']}, lots hold {row['lots']}, debt {row['debt']}",
        )
        for row in balances
    ] + [
        Violation(row["member_id"], row["lot_id"], f"amount {row['amount']}, taken {row['taken']}, remaining {row['remaining']}")
        for row in lots
    ]
