"""Fill a migrated, empty PostgreSQL database with N members and M ledger entries, fast, with COPY.

`python -m bench.generate DATABASE_URL --members N --entries M [--seed S]`

What it writes:
- the demo tiers, benefits and staff of domain/seed.py (same logins, e.g. manager@clubgraph.example /
  manager-demo), plus one account manager per 2,500 members (am<n>@clubgraph.example / am-demo);
- N members: member 1 is member@clubgraph.example / member-demo, and the first LOGIN_MEMBERS members
  share that password, so the benchmark can sign any of them in. 80% have an account manager,
  30% have preferences, each one has its enrolment in the tier history;
- exactly M ledger entries (earns, redeems, expiries), with the lots and lot consumptions
  domain/ledger.py would have written: lots are spent oldest expiry first, a lot past its date is
  expired by its own entry, and each member's `points_balance` is the sum of their entries and of
  their lots' remainders (`clubgraph ledger-check` holds).

Rows are generated in a thread, member by member (one member's history at a time, bounded
batches), and sent with asyncpg's `copy_records_to_table` on the event loop, so Python and the
PostgreSQL backends work at the same time. The secondary indexes and foreign keys of the loaded
tables are dropped first and recreated afterwards from the definitions the catalog held (same
names, same definitions), because maintaining them row by row is what makes COPY slow; then
ANALYZE. The same seed gives the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import queue
import random
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import asyncpg

from domain import seed
from domain.models import EntryKind, EntrySource, Gender, MemberStatus, StaffRole, TierChangeSource
from domain.passwords import hash_password
from domain.rules import RULES

SEED = 20261205
NOW = datetime.combine(seed.REFERENCE_DATE, datetime.min.time(), tzinfo=timezone.utc)  # fixed: deterministic
LOGIN_MEMBERS = 1_000
MEMBERS_PER_ACCOUNT_MANAGER = 2_500
BATCH_ENTRIES = 200_000  # rows per COPY round: big enough to stream, small enough to keep memory flat
DAY = 86_400.0
LIFETIME = RULES.points_lifetime_days * DAY
UTC = timezone.utc

# Tables the generator fills row by row; their secondary indexes and foreign keys wait until the end.
BULK_TABLES = ("member", "member_preference", "tier_change", "ledger_entry", "points_lot", "lot_consumption")
COLUMNS = {
    "member": ("id", "email", "password_hash", "name", "gender", "phone", "birthday", "joined_on", "status",
               "referral_code", "created_at", "updated_at", "account_manager_id", "tier_id", "points_balance",
               "points_debt", "tier_since", "last_visit_at"),
    "member_preference": ("id", "member_id", "category", "value", "is_private", "noted_by_id", "noted_at"),
    "tier_change": ("id", "member_id", "to_tier_id", "source", "reason", "created_at"),
    "ledger_entry": ("id", "member_id", "kind", "source", "amount", "balance_after", "reason", "created_at"),
    "points_lot": ("id", "member_id", "entry_id", "amount", "remaining", "earned_at", "expires_at"),
    "lot_consumption": ("id", "entry_id", "lot_id", "amount"),
}

_EARN, _REDEEM, _EXPIRE = str(EntryKind.EARN), str(EntryKind.REDEEM), str(EntryKind.EXPIRE)
_PURCHASE, _REDEMPTION, _EXPIRY = str(EntrySource.PURCHASE), str(EntrySource.REDEMPTION), str(EntrySource.EXPIRY)
_OUTLETS = ["Restaurant", "Wine cellar", "Cigar lounge", "Spa", "Boutique"]
_EARN_REASONS = [f"Purchase at the {outlet.lower()}" for outlet in _OUTLETS]
_REDEEM_REASONS = ["Sommelier dinner for two", "Spa day", "Guest night", "Cellar voucher", "Boutique gift card"]
_STATUSES = [str(status) for status in MemberStatus]


@dataclass
class Counts:
    """Rows written so far, per table; the generator thread adds, the progress printer reads."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BULK_TABLES, 0))

    @property
    def entries(self) -> int:
        return self.rows["ledger_entry"]


def _referral_code(member_id: int) -> str:
    """A unique 8-character code per id: multiplying by an odd number is a bijection modulo 2**40."""
    scrambled = (member_id * 0x9E3779B97F4A7C15 + 0x5DEECE66D) % (1 << 40)
    alphabet = seed._REFERRAL_ALPHABET  # 32 letters: 8 of them encode 40 bits
    return "".join(alphabet[(scrambled >> (5 * k)) & 31] for k in range(8))


def _entries_per_member(rng: random.Random, members: int, entries: int) -> array:
    """Exactly `entries` spread over members, skewed like a real club: a few busy members, many quiet ones.

    One float per member (8 MB at a million), never one row per entry.
    """
    weights = array("d", (rng.lognormvariate(0.0, 1.0) for _ in range(members)))
    total = sum(weights)
    counts, cumulative, placed = array("l", bytes(8 * members)), 0.0, 0
    for n, weight in enumerate(weights):
        cumulative += weight
        upto = round(entries * cumulative / total)
        counts[n], placed = upto - placed, upto
    counts[-1] += entries - placed
    return counts


class _Ids:
    """Next ids of the tables whose rows the generator numbers itself (other rows refer to them)."""

    def __init__(self) -> None:
        self.entry = itertools.count(1)
        self.lot = itertools.count(1)
        self.consumption = itertools.count(1)
        self.preference = itertools.count(1)


def _member_history(
    rng: random.Random, ids: _Ids, member_id: int, wanted: int, start: float, now: float, out: dict[str, list]
) -> tuple[int, float | None]:
    """Write one member's entries, lots and consumptions into `out` as domain/ledger.py would; (balance, last entry time).

    `wanted` slots at random times from `start` to `now`: at each one, a lot past its date is
    expired first (its own entry, as the expiry job does), else the member earns, or redeems now and
    then when the balance allows it. Lots are spent oldest expiry first; all lots live equally
    long, so that is the order they were earned in. Lots still due at `now` are expired at the end,
    so no expiry is left for the server's jobs: those entries come on top of `wanted`.
    """
    entries, consumptions = out["ledger_entry"], out["lot_consumption"]
    times = sorted(start + rng.random() * (now - start) for _ in range(wanted))
    lots: list[list] = []  # [id, entry id, amount, remaining, earned_at, expires_at], in expiry order
    head = 0  # lots before it are empty
    balance, last = 0, None

    def expire(at: float) -> None:
        nonlocal balance, head, last
        lot = lots[head]
        balance -= lot[3]
        entry_id = next(ids.entry)
        earned = datetime.fromtimestamp(lot[4], UTC)
        entries.append((entry_id, member_id, _EXPIRE, _EXPIRY, -lot[3], balance,
                        f"Points earned on {earned:%Y-%m-%d} expired", datetime.fromtimestamp(at, UTC)))
        consumptions.append((next(ids.consumption), entry_id, lot[0], lot[3]))
        lot[3], head, last = 0, head + 1, at

    for at in times:
        # Expiries are dated when the lot ran out (never after this slot): entries stay in time order.
        if head < len(lots) and lots[head][5] <= at:
            expire(max(lots[head][5], last or start))
            continue
        entry_id = next(ids.entry)
        if balance >= 200 and rng.random() < 0.2:
            points = rng.randint(100, min(balance, 5_000))
            balance -= points
            entries.append((entry_id, member_id, _REDEEM, _REDEMPTION, -points, balance,
                            rng.choice(_REDEEM_REASONS), datetime.fromtimestamp(at, UTC)))
            left = points
            while left:
                lot = lots[head]
                take = min(lot[3], left)
                consumptions.append((next(ids.consumption), entry_id, lot[0], take))
                lot[3] -= take
                left -= take
                if lot[3] == 0:
                    head += 1
        else:
            points = rng.randint(20, 2_000)
            balance += points
            entries.append((entry_id, member_id, _EARN, _PURCHASE, points, balance,
                            rng.choice(_EARN_REASONS), datetime.fromtimestamp(at, UTC)))
            lots.append([next(ids.lot), entry_id, points, points, at, at + LIFETIME])
        last = at
    while head < len(lots) and lots[head][5] <= now:
        if lots[head][3] == 0:
            head += 1
            continue
        expire(max(lots[head][5], last or start))
    out["points_lot"].extend(
        (lot_id, member_id, entry_id, amount, remaining, datetime.fromtimestamp(earned, UTC),
         datetime.fromtimestamp(expires, UTC))
        for lot_id, entry_id, amount, remaining, earned, expires in lots
    )
    return balance, last


@dataclass(frozen=True)
class Plan:
    members: int
    entries: int
    seed: int
    tier_ids: list[int]
    account_manager_ids: list[int]
    noter_ids: list[int]
    member_hash: str


def generate_rows(plan: Plan) -> Iterator[dict[str, list]]:
    """Batches of rows per table, member after member, each batch about BATCH_ENTRIES entries."""
    rng = random.Random(plan.seed)
    wanted = _entries_per_member(random.Random(plan.seed + 1), plan.members, plan.entries)
    ids = _Ids()
    now = NOW.timestamp()
    recent = NOW.date() - timedelta(days=RULES.points_lifetime_days - 30)
    owed = 0  # entries over plan so far (the expiries due at the end), taken off members that cannot expire
    out: dict[str, list] = {table: [] for table in BULK_TABLES}
    preferences = list(seed._PREFERENCES.items())
    for n in range(plan.members):
        member_id = n + 1
        last_member = member_id == plan.members
        if member_id == 1:  # the demo member, whose login the benchmark uses for `me`
            name, email, gender = "宋雅琳", seed.DEMO_MEMBER_EMAIL, Gender.FEMALE
        else:
            name, email, gender = seed._invented_person(rng, member_id)
            email = email.replace("@example.com", "@scale.clubgraph.example")
        # The last member joins recently: none of their points can have expired, so their count is
        # exact and settles what expiries added before; the total is then exactly plan.entries.
        joined_on = recent + timedelta(days=rng.randint(0, 29)) if last_member else (
            NOW.date() - timedelta(days=rng.randint(0, 8 * 365)))
        count = wanted[n]
        if owed and (last_member or joined_on >= recent):
            taken = min(owed, count) if not last_member else owed
            count, owed = count - taken, owed - taken
            if count < 0:
                raise SystemExit("more expiries than entries to take them from: ask for more entries per member")
        start = datetime.combine(joined_on, datetime.min.time(), tzinfo=UTC).timestamp() + 9 * 3600
        written = len(out["ledger_entry"])
        balance, last = _member_history(rng, ids, member_id, count, start, now, out)
        owed += len(out["ledger_entry"]) - written - count
        tier = rng.choices(plan.tier_ids, weights=[55, 28, 12, 5])[0]
        manager = rng.choice(plan.account_manager_ids) if rng.random() < 0.8 else None
        joined_at = datetime.fromtimestamp(start, UTC)
        birthday = None if rng.random() < 0.1 else date(1950, 1, 1) + timedelta(days=rng.randint(0, 19_723))
        out["member"].append((
            member_id, email, plan.member_hash if member_id <= LOGIN_MEMBERS else None, name,
            str(gender), f"+4179{member_id:07d}", birthday, joined_on,
            _STATUSES[0] if member_id == 1 else rng.choices(_STATUSES, weights=[94, 4, 2])[0],
            _referral_code(member_id), joined_at, joined_at, manager, tier, balance, 0, joined_on,
            datetime.fromtimestamp(last, UTC) if last is not None else None,
        ))
        out["tier_change"].append((member_id, member_id, tier, str(TierChangeSource.ENROLMENT), "Enrolment", joined_at))
        if rng.random() < 0.3:
            for category, values in rng.sample(preferences, rng.randint(1, 3)):
                noted_by = rng.choice(plan.noter_ids) if rng.random() < 0.5 else None
                out["member_preference"].append(
                    (next(ids.preference), member_id, str(category), rng.choice(values), False, noted_by, joined_at))
        if len(out["ledger_entry"]) >= BATCH_ENTRIES or last_member:
            yield out
            out = {table: [] for table in BULK_TABLES}


async def _reference_rows(connection: asyncpg.Connection, members: int) -> Plan:
    """Tiers, benefits and staff (domain/seed.py's, plus account managers for a club this size)."""
    tier_ids = []
    for rank, (name, description, rule) in enumerate(seed._TIERS, start=1):
        tier_ids.append(await connection.fetchval(
            "INSERT INTO tier (name, rank, description, qualifying_points, qualifying_spend, qualifying_visits, grace_days)"
            " VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 30)) RETURNING id",
            name, rank, description, rule.get("qualifying_points"), rule.get("qualifying_spend"),
            rule.get("qualifying_visits"), rule.get("grace_days")))
    benefits = []
    for rank, tier_id in enumerate(tier_ids, start=1):
        benefits.append((tier_id, "points_multiplier", "Points multiplier", "Points earned on every spend are multiplied by this factor.",
                         None, None, seed._MULTIPLIERS[rank - 1]))
        if rank >= 2:
            benefits.append((tier_id, "guest_pass", "Guest pass", "Bring a guest for the day.",
                             seed._GUEST_PASSES[rank - 1], "year", None))
        for code, name, description, min_rank, quota, period in seed._EXTRA_BENEFITS:
            if rank >= min_rank:
                benefits.append((tier_id, code, name, description, quota, str(period) if period else None, None))
    await connection.executemany(
        "INSERT INTO benefit (tier_id, code, name, description, quota, quota_period, value) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        benefits)
    # Argon2 is slow on purpose: one hash per distinct password.
    passwords = {password for _, password, _, _ in seed._STAFF} | {seed.DEMO_MEMBER_PASSWORD}
    hashes = {password: hash_password(password) for password in sorted(passwords)}
    staff = [(email, hashes[password], name, str(role)) for email, password, name, role in seed._STAFF]
    rng = random.Random(SEED - 1)
    demo_managers = sum(1 for *_, role in seed._STAFF if role is StaffRole.ACCOUNT_MANAGER)
    for n in range(demo_managers + 1, max(demo_managers, members // MEMBERS_PER_ACCOUNT_MANAGER) + 1):
        name, _, _ = seed._invented_person(rng, n)
        staff.append((f"am{n}@clubgraph.example", hashes["am-demo"], name, str(StaffRole.ACCOUNT_MANAGER)))
    now = datetime.now(UTC)
    await connection.executemany(
        "INSERT INTO staff (email, password_hash, name, role, is_active, created_at) VALUES ($1, $2, $3, $4, true, $5)",
        [(*row, now) for row in staff])
    rows = await connection.fetch("SELECT id, email, role FROM staff ORDER BY id")
    managers = [row["id"] for row in rows if row["role"] == StaffRole.ACCOUNT_MANAGER]
    desk = [row["id"] for row in rows if row["email"] == "frontdesk@clubgraph.example"]
    return Plan(members, 0, SEED, tier_ids, managers, managers + desk, hashes[seed.DEMO_MEMBER_PASSWORD])


@dataclass(frozen=True)
class Deferred:
    """Secondary indexes and foreign keys of the bulk tables, as the catalog defines them."""

    indexes: list[tuple[str, str]]  # (name, CREATE INDEX ...)
    foreign_keys: list[tuple[str, str, str]]  # (table, name, FOREIGN KEY ... REFERENCES ...)


async def _defer(connection: asyncpg.Connection) -> Deferred:
    """Drop the bulk tables' secondary indexes and outgoing foreign keys, keeping their exact definitions.

    Primary keys and unique constraints stay: other tables' foreign keys hang on them, and ids
    arrive in order, which a btree appends cheaply.
    """
    indexes = await connection.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition"
        " FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid"
        " WHERE i.indrelid = ANY($1::regclass[]) AND c.oid IS NULL ORDER BY 1",
        list(BULK_TABLES))
    keys = await connection.fetch(
        "SELECT conrelid::regclass::text AS tab, conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid = ANY($1::regclass[]) ORDER BY 1, 2",
        list(BULK_TABLES))
    deferred = Deferred([(r["name"], r["definition"]) for r in indexes], [(r["tab"], r["conname"], r["definition"]) for r in keys])
    async with connection.transaction():
        for table, name, _ in deferred.foreign_keys:
            await connection.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in deferred.indexes:
            await connection.execute(f"DROP INDEX {name}")
    return deferred


async def _restore(pool: asyncpg.Pool, deferred: Deferred, report: Callable[[str], None]) -> None:
    """Recreate the indexes (two at a time: one per core) and foreign keys from their saved definitions."""

    async def run(label: str, sql: str) -> None:
        async with pool.acquire() as connection:
            started = time.monotonic()
            await connection.execute("SET maintenance_work_mem = '512MB'")
            await connection.execute(sql)
            report(f"  {label} ({time.monotonic() - started:.1f} s)")

    work = [(f"index {name}", definition) for name, definition in deferred.indexes]
    work += [(f"foreign key {name}", f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
             for table, name, definition in deferred.foreign_keys]
    pending = iter(work)

    async def lane() -> None:
        for label, sql in pending:
            await run(label, sql)

    # Indexes first (foreign keys validate faster with them), both lanes pulling from one list.
    await asyncio.gather(lane(), lane())


class _Progress:
    def __init__(self, total: int, report: Callable[[str], None], every: float = 5.0) -> None:
        self.total, self.report, self.every = total, report, every
        self.started = self.last = time.monotonic()

    def tick(self, counts: Counts, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        elapsed = now - self.started
        rate = counts.entries / elapsed if elapsed else 0.0
        eta = (self.total - counts.entries) / rate if rate else float("inf")
        rows = sum(counts.rows.values())
        self.report(f"  {counts.entries:,}/{self.total:,} entries ({rows:,} rows in all), "
                    f"{rate:,.0f} entries/s, {elapsed:.0f} s elapsed, ETA {eta:.0f} s")


async def generate(
    database_url: str, *, members: int, entries: int, seed_value: int = SEED,
    report: Callable[[str], None] = print, defer: bool = True,
) -> dict[str, float | int]:
    """Fill the migrated, empty database; returns rows written per table and the seconds it took."""
    if members < 2 or entries < members:
        raise ValueError("ask for at least 2 members and at least one entry per member")
    started = time.monotonic()
    database_url = "postgres://" + database_url.split("://", 1)[1]
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=len(BULK_TABLES))
    try:
        async with pool.acquire() as connection:
            if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM member) OR EXISTS (SELECT 1 FROM tier)"):
                raise SystemExit("the database is not empty: generate into a freshly migrated one")
            plan = await _reference_rows(connection, members)
            plan = dataclasses.replace(plan, entries=entries, seed=seed_value)
            deferred = await _defer(connection) if defer else Deferred([], [])
        counts = Counts()
        progress = _Progress(entries, report)
        report(f"Generating {members:,} members and {entries:,} ledger entries ...")
        try:
            await _load(pool, plan, counts, progress, deferred=bool(deferred.foreign_keys))
            progress.tick(counts, force=True)
            loaded = time.monotonic()
            report(f"Loaded in {loaded - started:.1f} s; recreating {len(deferred.indexes)} indexes "
                   f"and {len(deferred.foreign_keys)} foreign keys ...")
        finally:
            await _restore(pool, deferred, report)
        async with pool.acquire() as connection:
            for table in ("member", "member_preference", "tier_change", "ledger_entry", "points_lot", "lot_consumption"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
            report("ANALYZE ...")
            await connection.execute("ANALYZE")
        seconds = time.monotonic() - started
        report(f"Done in {seconds:.1f} s: " + ", ".join(f"{table} {n:,}" for table, n in counts.rows.items()))
        return {**counts.rows, "seconds": round(seconds, 1), "load_seconds": round(loaded - started, 1)}
    finally:
        await pool.close()


async def _load(pool: asyncpg.Pool, plan: Plan, counts: Counts, progress: _Progress, *, deferred: bool) -> None:
    """Generate in a thread, COPY on the loop: PostgreSQL ingests one batch while Python builds the next."""
    batches: queue.Queue = queue.Queue(maxsize=2)  # bounded: memory stays at about three batches
    failed: list[BaseException] = []

    def produce() -> None:
        try:
            for batch in generate_rows(plan):
                batches.put(batch)
        except BaseException as error:  # noqa: BLE001 - handed to the loop, which raises it
            failed.append(error)
        finally:
            batches.put(None)

    producer = threading.Thread(target=produce, name="bench-generate", daemon=True)
    producer.start()
    loop = asyncio.get_running_loop()

    async def copy(table: str, rows: list) -> None:
        if rows:
            async with pool.acquire() as connection:
                await connection.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
            counts.rows[table] += len(rows)

    # Without foreign keys every table loads at once, each on its own connection; with them, a
    # table waits for the ones it refers to (each COPY commits on its own).
    stages = [BULK_TABLES] if deferred else [
        ("member",), ("member_preference", "tier_change", "ledger_entry"), ("points_lot",), ("lot_consumption",)]
    while (batch := await loop.run_in_executor(None, batches.get)) is not None:
        for stage in stages:
            await asyncio.gather(*(copy(table, batch[table]) for table in stage))
        progress.tick(counts)
    producer.join()
    if failed:
        raise failed[0]


async def check_sample(database_url: str, *, sample: int = 1_000, seed_value: int = SEED) -> list[dict]:
    """domain.ledger's invariant checks, restricted to a random sample of members: rows that break one.

    The full check reads every entry and lot, minutes at 30 million entries; the SQL is the
    domain's own, narrowed with a WHERE on the members drawn.
    """
    from domain import ledger

    balance_sql = ledger._BALANCE_CHECK.replace("FROM member m\n", "FROM member m WHERE m.id = ANY($1::int[])\n")
    lot_sql = ledger._LOT_CHECK.replace("FROM points_lot l\n", "FROM points_lot l WHERE l.member_id = ANY($1::int[])\n")
    assert balance_sql != ledger._BALANCE_CHECK and lot_sql != ledger._LOT_CHECK, "domain.ledger's checks changed"
    connection = await asyncpg.connect("postgres://" + database_url.split("://", 1)[1])
    try:
        top = await connection.fetchval("SELECT MAX(id) FROM member")
        ids = sorted(random.Random(seed_value).sample(range(1, top + 1), min(sample, top)))
        return [dict(row) for row in await connection.fetch(balance_sql, ids)] + [
            dict(row) for row in await connection.fetch(lot_sql, ids)]
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    parser.add_argument("database_url", help="a migrated, empty PostgreSQL database")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=30_000_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--keep-indexes", dest="defer", action="store_false",
                        help="load with every index and foreign key in place (slower; for comparison)")
    args = parser.parse_args()
    figures = asyncio.run(generate(args.database_url, members=args.members, entries=args.entries,
                                   seed_value=args.seed, report=lambda line: print(line, flush=True), defer=args.defer))
    violations = asyncio.run(check_sample(args.database_url))
    print(f"ledger invariants on a sample of 1,000 members: {'hold' if not violations else violations[:5]}", flush=True)


if __name__ == "__main__":
    main()
