"""Property test: random sequences of earn, spend, transfer, adjust, refund, hold, capture, release and
expiry keep every ledger invariant and match a simple model of each balance and debt."""

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import ledger, models
from domain.errors import DomainError
from domain.ledger import EntryFields
from domain.models import EntryKind, EntrySource
from tests.factories import make_member

FIELDS = EntryFields(source=EntrySource.STAFF, reason="property test")
MEMBERS = 3

points = st.integers(min_value=1, max_value=300)
who = st.integers(min_value=0, max_value=MEMBERS - 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), who, points, st.integers(min_value=1, max_value=60)),
        st.tuples(st.just("spend"), who, points),
        st.tuples(st.just("transfer"), who, who, points),
        st.tuples(st.just("refund"), who, points),
        st.tuples(st.just("adjust"), who, st.integers(min_value=-300, max_value=300).filter(bool)),
        st.tuples(st.just("hold"), who, points),
        st.tuples(st.just("settle"), st.booleans()),
        st.tuples(st.just("days_pass"), st.integers(min_value=1, max_value=40)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
async def test_random_moves_keep_the_ledger_consistent(ops):
    # given: members with no points, a clock, and a model of what each balance and debt must be
    members = [await make_member() for _ in range(MEMBERS)]
    balance = [0] * MEMBERS
    debt = [0] * MEMBERS
    holds: list[tuple[int, models.LedgerEntry]] = []
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    async def credit(i, n, expires_at, kind=EntryKind.EARN):
        await ledger.credit(member_id=members[i].id, points=n, fields=FIELDS, kind=kind, now=now, expires_at=expires_at)
        cleared = min(n, debt[i])
        balance[i] += n - cleared
        debt[i] -= cleared

    async def past_their_date(i):
        """Points back in lots past their date (a hold released after its lots expired): every spend
        expires them first, in its transaction, so a refused spend leaves them in the balance."""
        lots = models.PointsLot.filter(member_id=members[i].id, expires_at__lte=now, remaining__gt=0)
        return sum(await lots.values_list("remaining", flat=True))

    async def debit(i, n, kind):
        expiring = await past_their_date(i)
        try:
            await ledger.debit(member_id=members[i].id, points=n, kind=kind, fields=FIELDS, now=now)
        except DomainError as refused:
            assert refused.code == "INSUFFICIENT_POINTS" and n > balance[i] - expiring
            return False
        assert n <= balance[i] - expiring
        balance[i] -= expiring + n
        return True

    # when: each operation runs, then the ledger is checked against the model
    for op in ops:
        if op[0] == "earn":
            _, i, n, days = op
            await credit(i, n, now + timedelta(days=days))
        elif op[0] == "spend":
            await debit(op[1], op[2], EntryKind.REDEEM)
        elif op[0] == "transfer" and op[1] != op[2]:
            _, i, j, n = op
            if await debit(i, n, EntryKind.TRANSFER_OUT):
                await credit(j, n, now + timedelta(days=30), kind=EntryKind.TRANSFER_IN)
        elif op[0] == "adjust":
            _, i, n = op
            if n > 0:
                await credit(i, n, now + timedelta(days=90), kind=EntryKind.ADJUST)
            else:
                await debit(i, -n, EntryKind.ADJUST)
        elif op[0] == "refund":
            _, i, n = op
            balance[i] -= await past_their_date(i)
            await ledger.debit(
                member_id=members[i].id, points=n, kind=EntryKind.REVERSE, fields=FIELDS, now=now, shortfall_to_debt=True
            )
            taken = min(n, balance[i])
            balance[i] -= taken
            debt[i] += n - taken
        elif op[0] == "hold":
            _, i, n = op
            expiring = await past_their_date(i)
            if n <= balance[i] - expiring:
                holds.append((i, await ledger.hold(member_id=members[i].id, points=n, reference="p", now=now)))
                balance[i] -= expiring + n
        elif op[0] == "settle" and holds:
            i, held = holds.pop(0)
            if op[1]:
                await ledger.capture(hold_entry_id=held.id, reason="captured", now=now)
            else:
                await ledger.release(hold_entry_id=held.id, reason="released", now=now)
                cleared = min(-held.amount, debt[i])
                balance[i] += -held.amount - cleared
                debt[i] -= cleared
        elif op[0] == "days_pass":
            now += timedelta(days=op[1])
            before = [(await models.Member.get(id=m.id)).points_balance for m in members]
            await ledger.expire_due_lots(now=now)
            after = [(await models.Member.get(id=m.id)).points_balance for m in members]
            balance = [b - (x - y) for b, x, y in zip(balance, before, after)]

        # then
        stored = [await models.Member.get(id=m.id) for m in members]
        assert [m.points_balance for m in stored] == balance
        assert [m.points_debt for m in stored] == debt
        assert await ledger.check_invariants() == []
