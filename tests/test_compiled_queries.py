"""The compiled path (schema/compiled/) answers exactly what strawberry answers: byte for byte, with the same audit rows.

Every comparison sends a document twice to an app with compiled queries on (the first answer comes
from strawberry, which compiles the document; the second from the plan) and once to an app with them
off, and asserts the three bodies are equal, the compiled one and strawberry's to the byte (key order
is part of the answer), and that both requests wrote the same audit rows. Whether the second request
really ran the plan is read from its SQL: the plan's statements alias their tables `t0`, `t1`...,
strawberry's never do.

Each document of the corpus is compared for every kind of caller: staff of every role, the member
themself, another member, an anonymous caller and a partner's API key (always strawberry's); the corpus
selects every field schema/compiled/entities.py registers (a test checks it), and hypothesis draws
random selections of them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLSchema, TypeInfo, TypeInfoVisitor, Visitor, parse, visit
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from strawberry.relay import to_base64
from tortoise import connections

from api.app import create_app
from domain import models
from domain.db import StatementCounter
from schema import build_schema
from schema.compiled.entities import ENTITIES
from tests.factories import (
    gid,
    make_api_key,
    make_benefit,
    make_important_date,
    make_member,
    make_partner,
    make_preference,
    make_staff,
    make_tiers,
    member_token,
    set_thresholds,
    staff_token,
)
from tests.servers import serve

# How each request is expected to be answered, read from its SQL (Tortoise's log of the statements it sends).
PLAN = "the plan"  # the compiled path answered: its statements alone, their tables aliased t0, t1...
STRAWBERRY = "strawberry"  # the plan did not answer: it was not compiled, or it gave up (a refusal, a fallback)
NO_SQL = "no SQL"  # nothing to read for this caller (null for a member it may not see): no statement at all
EITHER = "either"  # the answer matters, not the path

_PLAN_STATEMENT = re.compile(r'FROM "\w+" t0\b')


# The caller ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    name: str
    headers: Callable[[], Awaitable[dict[str, str]]]
    is_partner: bool = False


def bearer(name: str, token: str | None) -> Caller:
    async def headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    return Caller(name, headers)


def partner_caller(partner: models.Partner) -> Caller:
    """A new API key per request: each starts with a full cost budget, so that none is refused for
    what an earlier request of the test spent (the budget's level is shared by both apps)."""

    async def headers() -> dict[str, str]:
        _, key = await make_api_key(partner)
        return {"Authorization": f"ApiKey {key}"}

    return Caller("partner", headers, is_partner=True)


# The comparison ------------------------------------------------------------------------------------

AuditRow = tuple[Any, ...]


@dataclass
class Sent:
    response: httpx.Response
    statements: list[str]
    audit: list[AuditRow]

    @property
    def ran_plan(self) -> bool:
        """Whether the plan answered: its statements only (and the audit rows' INSERT). A plan that gave up
        half-way (`Fallback`) leaves its statements too, followed by strawberry's."""
        plan = [statement for statement in self.statements if _PLAN_STATEMENT.search(statement)]
        others = [s for s in self.statements if s not in plan and not s.startswith("INSERT INTO audit_entry")]
        return bool(plan) and not others

    def body(self) -> dict[str, Any]:
        """The answer; a partner's `extensions.cost.remaining` left out: its budget refills while requests run."""
        body = self.response.json()
        if "cost" in body.get("extensions", {}):
            body["extensions"]["cost"]["remaining"] = None
        return body

    def raw(self) -> bytes:
        """The answer's bytes (re-encoded, in the same key order, for a partner's)."""
        return orjson.dumps(self.body()) if "extensions" in self.response.json() else self.response.content


async def _last_audit_id() -> int:
    last = await models.AuditEntry.all().order_by("-id").first()
    return last.id if last else 0


async def _audit_after(mark: int) -> list[AuditRow]:
    rows = await models.AuditEntry.filter(id__gt=mark).order_by("id")
    return [(r.kind.value, r.action, r.member_id, r.actor_kind, r.actor_id, r.actor_role, r.outcome, r.detail) for r in rows]


@dataclass
class Paths:
    """The app with compiled queries (`client`), the one without (`strawberry`), and the SQL they send."""

    client: httpx.AsyncClient
    strawberry: httpx.AsyncClient
    sql: StatementCounter

    async def send(
        self,
        http: httpx.AsyncClient,
        query: str,
        variables: dict[str, Any] | None,
        caller: Caller,
        *,
        operation_name: str | None = None,
        method: str = "POST",
        request_id: str | None = None,
    ) -> Sent:
        headers = await caller.headers()
        if request_id is not None:  # the id an unexpected error quotes (api/app.py takes a client's X-Request-Id)
            headers["X-Request-Id"] = request_id
        mark = await _last_audit_id()
        start = len(self.sql.statements)
        try:
            if method == "GET":
                params = {"query": query, "variables": orjson.dumps(variables or {}).decode()}
                if operation_name is not None:
                    params["operationName"] = operation_name
                response = await http.get("/graphql", params=params, headers=headers)
            else:
                body = {"query": query, "variables": variables or {}, "operationName": operation_name}
                response = await http.post("/graphql", json=body, headers=headers)
        except Exception as error:  # over real HTTP: 500 Internal Server Error
            raise AssertionError(f"{caller.name}: the app raised {error!r} on {query.strip()[:60]!r} {variables}") from error
        statements = self.sql.statements[start:]
        return Sent(response, statements, await _audit_after(mark))

    async def compare(
        self,
        query: str,
        variables: dict[str, Any] | None,
        caller: Caller,
        expect: str,
        *,
        operation_name: str | None = None,
        method: str = "POST",
    ) -> dict[str, Any]:
        """Both paths answer alike; the second request to `client` was answered as `expect` says. Returns the answer.

        Audit rows are compared as a multiset: both paths write them in one INSERT, at one time, but
        strawberry notes a preference read only once its loader has answered, after the members' phones.
        """
        how = {"operation_name": operation_name, "method": method}
        first = await self.send(self.client, query, variables, caller, **how)
        compiled = await self.send(self.client, query, variables, caller, **how)
        reference = await self.send(self.strawberry, query, variables, caller, **how)
        where = f"{caller.name}: {query.strip()[:60]!r} {variables}"

        assert compiled.response.status_code == reference.response.status_code == first.response.status_code, where
        if not caller.is_partner:
            assert reference.response.status_code == 200, f"{where}\n{reference.response.text}"
        assert compiled.body() == reference.body(), f"{where}\ncompiled:   {compiled.body()}\nstrawberry: {reference.body()}"
        assert first.body() == reference.body(), f"{where}\nfirst:      {first.body()}\nstrawberry: {reference.body()}"
        assert compiled.raw() == reference.raw(), f"{where}: same answer, other bytes (key order)"
        assert sorted(compiled.audit, key=repr) == sorted(reference.audit, key=repr), f"{where}\naudit"
        assert sorted(first.audit, key=repr) == sorted(reference.audit, key=repr), f"{where}\naudit of the first request"

        assert not any(map(_PLAN_STATEMENT.search, reference.statements)), f"strawberry's SQL as the plan's: {reference.statements}"
        if expect == PLAN:
            assert compiled.ran_plan, f"{where}: expected the plan to answer\n" + "\n".join(compiled.statements)
        elif expect == STRAWBERRY:
            assert not compiled.ran_plan, f"{where}: expected strawberry to answer\n" + "\n".join(compiled.statements)
        elif expect == NO_SQL:
            assert compiled.statements == [], f"{where}: expected no SQL\n" + "\n".join(compiled.statements)
        if caller.is_partner:  # a partner's answer carries its cost: strawberry's extension, not the plan's
            assert "cost" in compiled.body().get("extensions", {}), where
        return reference.body()

    async def compile(self, query: str, variables: dict[str, Any], caller: Caller) -> None:
        """Have `client` compile the document (strawberry answers it without errors), and check its plan answers."""
        await self.send(self.client, query, variables, caller)
        again = await self.send(self.client, query, variables, caller)
        assert again.ran_plan and "errors" not in again.body(), f"not compiled: {again.body()}\n{again.statements}"


@pytest.fixture
def paths(client, strawberry_client, sql) -> Paths:
    return Paths(client, strawberry_client, sql)


# The club ------------------------------------------------------------------------------------------

READERS = ("club manager", "administrator", "account manager", "front desk", "event manager")  # MEMBER_READ
CALLERS = (*READERS, "partner manager", "member", "other member", "anonymous", "partner")


@dataclass
class Club:
    tiers: dict[str, models.Tier]
    staff: dict[str, models.Staff]
    members: dict[str, models.Member]
    callers: dict[str, Caller] = field(default_factory=dict)

    def member_id(self, name: str) -> str:
        return gid("Member", self.members[name].id)


async def make_club() -> Club:
    """Tiers with benefits and thresholds; staff of every role; members with and without an account
    manager, phone or birthday, with public and private preferences, noted by staff or stated, and dates."""
    tiers = await make_tiers()
    await set_thresholds(tiers["Gold"], points=5000, spend="12500.50", visits=24, window_months=6, grace_days=14)
    await set_thresholds(tiers["Diamond"], spend="100000", window_months=24)
    await make_benefit(tiers["Gold"], "lounge_access", quota=2, period=models.QuotaPeriod.MONTH, value=Decimal("12.5"))
    await make_benefit(tiers["Platinum"], "birthday_gift", description="A bottle on the house", value=Decimal("0.10"))

    role = models.StaffRole
    staff = {
        "club manager": await make_staff(role.CLUB_MANAGER, name="Clara Club"),
        "account manager": await make_staff(role.ACCOUNT_MANAGER, name="Anna Account"),
        "other account manager": await make_staff(role.ACCOUNT_MANAGER, name="Ben Account"),
        "front desk": await make_staff(role.FRONT_DESK, name="Dora Desk"),
        "event manager": await make_staff(role.EVENT_MANAGER, name="Eli Events"),
        "partner manager": await make_staff(role.PARTNER_MANAGER, name="Pia Partners"),
        "administrator": await make_staff(role.ADMINISTRATOR, name="Adam Admin"),
    }
    anna, ben = staff["account manager"], staff["other account manager"]
    members = {
        # The member themself: Anna's, with everything.
        "ada": await make_member(
            name="Ada Lovelace", email="ada@example.com", phone="+41791234567", birthday=date(1985, 12, 10),
            tier=tiers["Gold"], account_manager_id=anna.id, gender=models.Gender.FEMALE,
        ),
        # Ben's, no phone, no birthday.
        "bo": await make_member(
            name="Bo Berg", email="bo@example.com", phone=None, birthday=None,
            tier=tiers["Silver"], account_manager_id=ben.id, status=models.MemberStatus.SUSPENDED,
        ),
        # Nobody's; a phone from another country code, a name beyond ASCII.
        "cy": await make_member(
            name="Cyrène Ødegård", email="cy@example.org", phone="+12025550143", tier=tiers["Platinum"],
            gender=models.Gender.NON_BINARY,
        ),
        # Anna's too; a short phone and an email without @ (masked as a whole).
        "di": await make_member(
            name="Di Diamond", email="di-no-at", phone="+4112", tier=tiers["Diamond"], account_manager_id=anna.id,
            status=models.MemberStatus.RESIGNED, gender=models.Gender.MALE,
        ),
        # The other member: Ben's.
        "eve": await make_member(name="Eve Evans", email="eve@example.net", tier=tiers["Gold"], account_manager_id=ben.id),
        "fay": await make_member(name="Fay Field", email="fay@example.com", tier=tiers["Silver"]),
    }
    ada, bo, di, eve = members["ada"], members["bo"], members["di"], members["eve"]
    at = lambda day, hour: datetime(2025, 3, day, hour, 30, 15, 250_000 if day % 2 else 0, tzinfo=timezone.utc)  # noqa: E731
    food, seating = models.PreferenceCategory.FOOD, models.PreferenceCategory.SEATING
    # Ada's: written out of order of noting, so that the order (noted_at, then id) shows.
    await make_preference(ada, value="Table by the window", category=seating, noted_by_id=staff["front desk"].id, noted_at=at(5, 9))
    await make_preference(ada, value="Still water", noted_at=at(1, 8))
    await make_preference(ada, value="Prefers not to be seated near the bar", is_private=True, noted_by_id=anna.id, noted_at=at(3, 18))
    await make_preference(ada, value="Nut allergy", category=food, is_private=True, noted_at=at(3, 18))
    manager = staff["club manager"].id
    await make_preference(bo, value="Quiet corner", category=seating, is_private=True, noted_by_id=manager, noted_at=at(2, 12))
    await make_preference(bo, value="Espresso", noted_at=at(2, 11))
    await make_preference(di, value="Rosé", noted_by_id=anna.id, noted_at=at(4, 20))
    await make_preference(eve, value="Mint tea", noted_by_id=ben.id, noted_at=at(6, 7))
    await make_important_date(ada, label="Wedding anniversary", date=date(2012, 9, 1))
    await make_important_date(ada, kind=models.ImportantDateKind.CUSTOM, label="Joined the wine circle", date=date(2010, 2, 3))
    await make_important_date(di, label="Silver wedding", date=date(1999, 5, 5))

    club = Club(tiers, staff, members)
    for name in READERS + ("partner manager",):
        club.callers[name] = bearer(name, staff_token(staff[name]))
    club.callers["member"] = bearer("member", member_token(ada))
    club.callers["other member"] = bearer("other member", member_token(eve))
    club.callers["anonymous"] = bearer("anonymous", None)
    club.callers["partner"] = partner_caller(await make_partner())
    assert tuple(club.callers) == CALLERS
    return club


@pytest.fixture
async def club() -> Club:
    return await make_club()


# Who is answered how -------------------------------------------------------------------------------


def page_of_members(caller: str) -> str:
    """`members`: staff who read members through the plan; everyone else refused, by strawberry."""
    return PLAN if caller in READERS else STRAWBERRY


def one_member(caller: str) -> str:
    """`member(id:)` of Ada: the plan for staff who read members and for Ada; null, unread, for the others."""
    if caller in (*READERS, "member"):
        return PLAN
    return STRAWBERRY if caller == "partner" else NO_SQL


def me(caller: str) -> str:
    return {"anonymous": NO_SQL, "partner": STRAWBERRY}.get(caller, PLAN)


def always_strawberry(caller: str) -> str:
    return STRAWBERRY


# The corpus ----------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent

# bench/__main__.py's PAGE_QUERY, the benchmark's page.
PAGE = """query Page($first: Int!) { members(first: $first) { edges { node {
  id name email phone status
  tier { name benefits { name code quota } }
  accountManager { name }
  preferences { category value notedBy { name } }
} } } }"""

MEMBER_FIELDS = """
  id name gender joinedOn status referralCode phone email birthday pointsBalance pointsDebt
  tier {
    id name rank description qualifyingPoints qualifyingSpend qualifyingVisits windowMonths graceDays
    benefits { id code name description quota quotaPeriod value }
  }
  accountManager { id name role email }
  preferences { id category value isPrivate notedAt notedBy { id name role email } }
  importantDates { id kind label date }
"""


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    variables: Callable[[Club], dict[str, Any]] = lambda club: {}
    expect: Callable[[str], str] = page_of_members
    # Variables of a first request that compiles the document, when `variables` make the plan give up.
    warm: Callable[[Club], dict[str, Any]] | None = None
    operation_name: str | None = None

    @property
    def fallback(self) -> bool:
        return self.expect is always_strawberry


def _first(n: int) -> Callable[[Club], dict[str, Any]]:
    return lambda club: {"first": n}


CASES = [
    Case("the benchmark's page", PAGE, _first(10)),
    Case("the apps' persisted Me", (ROOT / "api/persisted/Me.graphql").read_text(), expect=me, operation_name="Me"),
    Case(
        "every registered field on a page",
        f"query($first: Int!) {{ members(first: $first) {{ edges {{ node {{ {MEMBER_FIELDS} }} }} }} }}",
        _first(10),
    ),
    Case(
        "every registered field of a member by id",
        f"query($id: ID!) {{ member(id: $id) {{ {MEMBER_FIELDS} }} }}",
        lambda club: {"id": club.member_id("ada")},
        one_member,
    ),
    Case(
        "a member by id, next to one of another type, one that does not exist and a malformed one",
        """query($ada: ID!, $staff: ID!, $missing: ID!, $malformed: ID!) {
          ada: member(id: $ada) { id name phone preferences { value isPrivate } }
          staff: member(id: $staff) { id name }
          missing: member(id: $missing) { id name }
          malformed: member(id: $malformed) { id name }
        }""",
        lambda club: {
            "ada": club.member_id("ada"),
            "staff": gid("Staff", club.staff["club manager"].id),
            "missing": gid("Member", club.members["fay"].id + 1000),
            "malformed": to_base64("Member", "twelve"),
        },
        one_member,
    ),
    Case(
        "an ID that is not a global ID",
        "query($id: ID!) { member(id: $id) { id name } }",
        lambda club: {"id": "not a global id"},
        always_strawberry,
        warm=lambda club: {"id": club.member_id("ada")},
    ),
    Case(
        "me as a member or as staff",
        """{ me {
          __typename
          ... on Member {
            id name email phone birthday tier { name } preferences { value isPrivate notedBy { name email } } importantDates { label }
          }
          ... on Staff { id name role workEmail: email }
          ... on Viewer { ... on Node { nodeId: id } }
        } }""",
        expect=me,
    ),
    Case(
        "me as the benchmark asks",
        "{ me { ... on Member { id name email tier { name rank benefits { name code quota value } } } } }",
        expect=me,
    ),
    Case(
        "named fragments, nested and spread twice",
        """query Fragments($first: Int!) {
          members(first: $first) { edges { node { ...Card tier { ...TierCard } ...Card } } }
        }
        fragment Card on Member { id name ...Contact accountManager { ...StaffCard } }
        fragment Contact on Member { email phone birthday }
        fragment TierCard on Tier { name benefits { ...BenefitCard } }
        fragment BenefitCard on Benefit { code quota quotaPeriod }
        fragment StaffCard on Staff { name role }
        """,
        _first(10),
    ),
    Case(
        "fragments on the query itself",
        """query($first: Int!) { ...Page ... on Query { __typename } }
        fragment Page on Query { members(first: $first) { edges { node { name tier { name } } } } }""",
        _first(10),
    ),
    Case(
        "inline fragments, on the type, on an interface and without a condition",
        """query($first: Int!) { members(first: $first) { edges { node {
          ... on Member { name tier { ... on Tier { name } } }
          ... { email }
          ... on Node { id }
          preferences { ... on MemberPreference { value notedBy { ... on Node { id } } } }
        } } } }""",
        _first(10),
    ),
    Case(
        "aliases: one field under two keys with other sub-selections, and keys swapped",
        """query($first: Int!) { members(first: $first) { list: edges { member: node {
          a: tier { name } b: tier { rank benefits { code } }
          name: email email: name
          mine: preferences { value } theirs: preferences { category notedBy { label: name } }
          am: accountManager { name } am2: accountManager { role email }
          key: id
        } } } }""",
        _first(10),
    ),
    Case(
        "the same fields selected twice, merged",
        """query($first: Int!) { members(first: $first) { edges { node {
          name tier { name } phone name
          tier { rank benefits { code } } tier { benefits { quota code } }
          preferences { value } preferences { notedBy { name } value }
        } } edges { node { name email } } } }""",
        _first(10),
    ),
    Case(
        "__typename at every level",
        """query($first: Int!) { __typename members(first: $first) {
          __typename
          pageInfo { __typename hasNextPage }
          edges { __typename node {
            __typename id
            tier { __typename name benefits { __typename code } }
            accountManager { __typename name }
            preferences { __typename value notedBy { __typename name } }
            importantDates { __typename label }
          } }
        } }""",
        _first(10),
    ),
    Case(
        "pageInfo and cursors of a first page",
        """query($first: Int!) { members(first: $first) {
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { id name } }
        } }""",
        _first(2),
    ),
    Case(
        "edges without their nodes",
        """query($first: Int!) { members(first: $first) {
          edges { __typename cursor } pageInfo { endCursor }
        } }""",
        _first(3),
    ),
    Case(
        "first: 0",
        """query($first: Int!) { members(first: $first) {
          pageInfo { hasNextPage startCursor endCursor } edges { cursor node { id tier { benefits { code } } preferences { value } } }
        } }""",
        _first(0),
    ),
    Case(
        "first: 101, refused by strawberry",
        "query($first: Int!) { members(first: $first) { edges { node { id name } } } }",
        _first(101),
        always_strawberry,
        warm=_first(2),
    ),
    Case(
        "a page beyond the query cost limit, refused by strawberry",
        """query($first: Int!) {
          a: members(first: $first) { edges { node { ...All } } }
          b: members(first: $first) { edges { node { ...All } } }
          c: members(first: $first) { edges { node { ...All } } }
        }
        fragment All on Member { %s }""" % MEMBER_FIELDS,
        _first(100),  # about 13,000 where the limit (Settings.max_query_cost) is 10,000
        always_strawberry,
        warm=_first(1),
    ),
    Case(
        "an invalid cursor, refused by strawberry",
        "query($after: String) { members(first: 2, after: $after) { edges { node { id name } } } }",
        lambda club: {"after": "not-a-cursor"},
        always_strawberry,
        warm=lambda club: {"after": None},
    ),
    Case(
        "a cursor of another list, refused by strawberry",
        "query($after: String) { members(first: 2, after: $after) { edges { node { id name } } } }",
        lambda club: {"after": to_base64("member", str(club.members["ada"].id))},
        always_strawberry,
        warm=lambda club: {"after": None},
    ),
    Case(
        "a variable with a default, not sent",
        "query($first: Int = 3) { members(first: $first) { pageInfo { hasNextPage endCursor } edges { node { id name } } } }",
    ),
    Case(
        "the argument's own default (20)",
        "{ members { pageInfo { hasNextPage } edges { node { id tier { name } } } } }",
    ),
    Case(
        "several root fields",
        """query($id: ID!) {
          __typename
          me { ... on Staff { name } ... on Member { name } }
          ada: member(id: $id) { name tier { name } }
          members(first: 3) { edges { node { name } } }
        }""",
        lambda club: {"id": club.member_id("ada")},
    ),
    Case(
        "filter: null, as good as no filter",
        "query($first: Int!) { members(first: $first, filter: null) { edges { node { id name phone } } } }",
        _first(10),
    ),
    Case(
        "pageInfo alone, twice under two keys, and the connection's __typename",
        """query($first: Int!) { members(first: $first) {
          __typename a: pageInfo { hasNextPage endCursor } b: pageInfo { startCursor hasPreviousPage __typename }
        } }""",
        _first(3),
    ),
    Case(
        "one of two operations, named by operationName",
        """query Who { me { ... on Staff { name } } }
        query Page($first: Int!) { members(first: $first) { edges { node { name tier { name } } } } }""",
        _first(3),
        operation_name="Page",
    ),
    # Fallbacks: strawberry answers, the compiled path compiles nothing.
    Case(
        "members(filter:)",
        "query($first: Int!) { members(first: $first, filter: {status: ACTIVE}) { edges { node { id name phone } } } }",
        _first(10),
        always_strawberry,
    ),
    Case(
        "totalCount",
        "query($first: Int!) { members(first: $first) { totalCount edges { node { id name phone } } } }",
        _first(10),
        always_strawberry,
    ),
    Case(
        "an @include directive",
        "query($first: Int!, $x: Boolean!) { members(first: $first) { edges { node { id name phone @include(if: $x) } } } }",
        lambda club: {"first": 10, "x": True},
        always_strawberry,
    ),
    Case(
        "nodes under two response keys",
        "query($first: Int!) { members(first: $first) { edges { a: node { id } b: node { name } } } }",
        _first(10),
        always_strawberry,
    ),
    Case(
        "a root field the compiled path does not answer",
        "query($id: ID!) { node(id: $id) { id ... on Member { name } } member(id: $id) { name } }",
        lambda club: {"id": club.member_id("ada")},
        always_strawberry,
    ),
    Case(
        "a field the compiled path does not know",
        "query($first: Int!) { members(first: $first) { edges { node { id name consents { purpose granted } } } } }",
        _first(10),
        always_strawberry,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_both_paths_answer_alike_for_every_caller(paths, club, case):
    # given
    variables = case.variables(club)
    if case.warm is not None:
        # a document is compiled on an answer without errors: the variables that make its plan give up come after
        await paths.compile(case.query, case.warm(club), club.callers["club manager"])
    # when / then: the club manager first, so that the document is compiled before the callers refused it
    for name, caller in club.callers.items():
        answer = await paths.compare(case.query, variables, caller, case.expect(name), operation_name=case.operation_name)
        if case.warm is not None:
            assert answer.get("errors"), f"{name}: the variables were meant to be refused: {answer}"


async def test_pages_after_a_cursor_from_the_previous_page(paths, club):
    # given
    query = """query($first: Int!, $after: String) { members(first: $first, after: $after) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name email tier { name } } }
    } }"""
    for name in READERS:
        caller = club.callers[name]
        # when
        first = await paths.compare(query, {"first": 2, "after": None}, caller, PLAN)
        second = await paths.compare(query, {"first": 2, "after": first["data"]["members"]["pageInfo"]["endCursor"]}, caller, PLAN)
        last = await paths.compare(query, {"first": 5, "after": second["data"]["members"]["pageInfo"]["endCursor"]}, caller, PLAN)
        beyond = await paths.compare(query, {"first": 5, "after": last["data"]["members"]["pageInfo"]["endCursor"]}, caller, PLAN)
        # then: the pages follow each other, and the test saw every case of pageInfo
        pages = [page["data"]["members"] for page in (first, second, last, beyond)]
        assert [len(page["edges"]) for page in pages] == [2, 2, 2, 0]
        assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False, False]
        assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True, True]
        assert [edge["node"]["name"] for page in pages for edge in page["edges"]] == [
            member.name for member in club.members.values()
        ]


async def test_a_query_over_get_is_answered_alike(paths, club):
    # given / when / then: GET reaches the plan as POST does
    for name in ("club manager", "account manager", "member", "anonymous"):
        await paths.compare(PAGE, {"first": 10}, club.callers[name], page_of_members(name), method="GET")


# Member IDs whose number no id column holds: no member on either path (schema/base.py bounds them by
# MAX_KEY, as the compiled path does), never an overflow in the database driver.
@pytest.mark.parametrize(
    "pk",
    [
        2**31,
        2**63,
        10**20,
        -(2**31) - 1,
        -(2**63) - 1,
    ],
    ids=["2**31", "2**63", "10**20", "-2**31-1", "-2**63-1"],
)
async def test_a_member_id_beyond_the_id_column_is_no_member(paths, club, pk):
    # given: the document compiled on a member that exists
    query = "query($id: ID!) { member(id: $id) { id name } }"
    manager = club.callers["club manager"]
    await paths.compile(query, {"id": club.member_id("ada")}, manager)
    # when / then: null, as for any member that does not exist (with or without a statement: EITHER)
    answer = await paths.compare(query, {"id": gid("Member", pk)}, manager, EITHER)
    assert answer == {"data": {"member": None}}


# A stored value its enum does not know (an enum member removed since): the plan gives up and strawberry
# answers with its masked error, the same on both paths.
async def test_a_stored_value_its_enum_does_not_know_is_strawberrys_masked_error(paths, club):
    # given: the page compiled, then a value written by another hand than the ORM's
    query = "query($first: Int!) { members(first: $first) { edges { node { name gender } } } }"
    manager = club.callers["club manager"]
    await paths.compile(query, {"first": 10}, manager)
    fay = club.members["fay"].id
    await connections.get("default").execute_script(f"UPDATE \"member\" SET \"gender\" = 'unknown' WHERE id = {fay}")
    # when: both quote the same request id
    reference = await paths.send(paths.strawberry, query, {"first": 10}, manager, request_id="unknown-enum-value")
    compiled = await paths.send(paths.client, query, {"first": 10}, manager, request_id="unknown-enum-value")
    # then
    assert reference.body()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert compiled.response.status_code == reference.response.status_code == 200
    assert compiled.raw() == reference.raw()


# The corpus covers every registered field ------------------------------------------------------------


def selected_fields(schema: GraphQLSchema, document: str) -> set[tuple[str, str]]:
    """(type, field) of every field the document selects, through fragments too."""
    type_info, seen = TypeInfo(schema), set()

    class Collect(Visitor):
        def enter_field(self, node: Any, *args: Any) -> None:
            parent = type_info.get_parent_type()
            if parent is not None:
                seen.add((parent.name, node.name.value))

    visit(parse(document), TypeInfoVisitor(type_info, Collect()))
    return seen


def registered_fields() -> set[tuple[str, str]]:
    return {
        (entity.name, name)
        for entity in ENTITIES.values()
        for name in (*entity.plain, *entity.computed, *entity.to_one, *entity.to_many)
    }


def test_the_corpus_selects_every_registered_field_through_the_plan():
    # given
    schema = build_schema()._schema
    # when: the documents some caller gets an answer of the plan to
    covered = set().union(*(selected_fields(schema, case.query) for case in CASES if not case.fallback))
    # then: a field registered later in schema/compiled/entities.py must be added to a document above
    assert registered_fields() - covered == set()


# Random selections (hypothesis) ----------------------------------------------------------------------

LEAVES = {name: sorted([*entity.plain, *entity.computed, "__typename"]) for name, entity in ENTITIES.items()}
RELATIONS = {
    name: sorted((key, relation.target) for key, relation in [*entity.to_one.items(), *entity.to_many.items()])
    for name, entity in ENTITIES.items()
}


@st.composite
def selections(draw: Any, type_name: str) -> str:
    """A selection set of registered fields: some twice (merged), some under aliases (two of them may share one
    alias, then they are the same field and merge), relations with a selection of their own."""
    choices = [(leaf, None) for leaf in LEAVES[type_name]] + RELATIONS[type_name]
    picked = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=7))
    parts = []
    for name, target in picked:
        alias = draw(st.sampled_from([None, None, "x", "y"]))
        key = f"{alias}_{name.strip('_')}: " if alias else ""
        selection = f" {{ {draw(selections(target))} }}" if target else ""
        parts.append(f"{key}{name}{selection}")
    return " ".join(parts)


@pytest.fixture
async def unlimited_paths(settings, database, sql) -> AsyncIterator[Paths]:
    """As `paths`, with the tokens' rate limit off: shrinking a failing example sends hundreds of requests with
    one token, beyond the limit's burst, and its 429s would hide the difference found."""
    unlimited = replace(settings, rate_limit_per_second=0)
    apps = (create_app(unlimited), create_app(replace(unlimited, compiled_queries=False)))
    compiled, plain = (httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://clubgraph.test") for app in apps)
    async with compiled, plain:
        yield Paths(compiled, plain, sql)


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(selection=selections("Member"))
async def test_random_selections_answer_alike(unlimited_paths, club, selection):
    # given: a page of members for an account manager (their own members and others' on it), `me` for a member
    page = f"query($first: Int!) {{ members(first: $first) {{ edges {{ node {{ {selection} }} }} }} }}"
    own = f"{{ me {{ ... on Member {{ {selection} }} }} }}"
    # when / then
    await unlimited_paths.compare(page, {"first": 10}, club.callers["account manager"], PLAN)
    await unlimited_paths.compare(own, {}, club.callers["member"], PLAN)


# A real server ---------------------------------------------------------------------------------------


async def test_a_real_server_answers_the_page_as_strawberry_does_twice(database_url, database, paths, club):
    # given
    caller = club.callers["club manager"]
    headers = await caller.headers()
    reference = await paths.send(paths.strawberry, PAGE, {"first": 10}, caller)
    assert reference.response.status_code == 200 and "errors" not in reference.body()
    with serve(database_url, env={"CLUBGRAPH_COMPILED_QUERIES": "1"}) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10.0) as http:
            # when: the first answered by strawberry, which compiles the document; the second by the plan
            answers = []
            for _ in range(2):
                mark = await _last_audit_id()
                response = await http.post("/graphql", json={"query": PAGE, "variables": {"first": 10}}, headers=headers)
                answers.append((response, await _audit_after(mark)))
        assert "Traceback" not in server.output(), server.output()
    # then
    for response, audit in answers:
        assert response.status_code == 200
        assert response.content == reference.response.content
        assert sorted(audit, key=repr) == sorted(reference.audit, key=repr)
    assert reference.audit, "the page shows phones and emails in full: audited"
