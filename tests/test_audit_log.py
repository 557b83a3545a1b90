"""The audit log: full reads of sensitive fields and every mutation are recorded, and `auditLog` reads them back."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from domain import audit, models
from domain.audit import AuditRecord
from domain.models import AuditKind
from domain.viewer import staff_viewer
from schema import build_schema
from tests.factories import gid, make_member, make_staff, make_tiers, member_token, staff_token
from tests.test_sql_count import make_fifty_members

ROW_COLUMNS = ("kind", "actor_kind", "actor_id", "actor_role", "action", "member_id", "outcome", "request_id", "detail")


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any], *, token: str, request_id: str) -> dict:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def audit_rows() -> list[tuple[Any, ...]]:
    rows = await models.AuditEntry.all().order_by("id").values_list(*ROW_COLUMNS)
    return [(str(row[0]), *row[1:]) for row in rows]


async def test_reading_one_members_phone_as_their_account_manager_writes_exactly_one_row(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(phone="+41791234567", account_manager_id=manager.id)
    before = datetime.now(timezone.utc)
    # when: the phone twice in one request, under two aliases
    query = "query($id: ID!) { member(id: $id) { name phone again: phone } }"
    result = await post(client, query, {"id": gid("Member", member.id)}, token=staff_token(manager), request_id="req-phone-1")
    # then
    assert result == {"data": {"member": {"name": member.name, "phone": "+41791234567", "again": "+41791234567"}}}
    assert await audit_rows() == [
        ("read", "staff", manager.id, "account_manager", "Member.phone", member.id, "ok", "req-phone-1", None)
    ]
    entry = await models.AuditEntry.get()
    assert before <= entry.at <= datetime.now(timezone.utc)


async def test_masked_fields_and_a_members_own_reads_are_not_audited(client):
    # given
    member = await make_member(phone="+41791234567")
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    query = "query($id: ID!) { member(id: $id) { phone email birthday } }"
    # when
    by_desk = await post(client, query, {"id": gid("Member", member.id)}, token=staff_token(desk), request_id="r1")
    by_self = await post(client, query, {"id": gid("Member", member.id)}, token=member_token(member), request_id="r2")
    # then
    assert by_desk["data"]["member"]["phone"] == "+41 •• ••• •• 67"
    assert by_self["data"]["member"]["phone"] == "+41791234567"
    assert await audit_rows() == []


async def test_a_page_of_fifty_phones_costs_one_extra_statement(client, sql):
    # given
    await make_fifty_members()
    token = staff_token(await make_staff(models.StaffRole.CLUB_MANAGER))
    without = "{ members(first: 50) { edges { node { id name } } } }"
    with_phones = "{ members(first: 50) { edges { node { id name phone } } } }"
    # when
    sql.statements.clear()
    await post(client, without, {}, token=token, request_id="names")
    statements_without = list(sql.statements)
    sql.statements.clear()
    result = await post(client, with_phones, {}, token=token, request_id="phones")
    statements_with = list(sql.statements)
    # then
    assert len(result["data"]["members"]["edges"]) == 50
    assert len(statements_with) == len(statements_without) + 1, "\n".join(statements_with)
    assert await models.AuditEntry.filter(request_id="phones", action="Member.phone").count() == 50


UPDATE = "mutation($input: MemberUpdateInput!) { memberUpdate(input: $input) { member { id } errors { code } } }"


async def test_every_mutation_is_recorded_whatever_its_outcome_with_argument_names_but_no_values(client):
    # given
    tiers = await make_tiers()
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    member = await make_member(tier=tiers["Silver"], account_manager_id=manager.id, phone="+41791234567")
    change = {"memberId": gid("Member", member.id), "phone": "+41445551234"}
    # when: done, refused at the top level, and a payload error
    done = await post(client, UPDATE, {"input": change}, token=staff_token(manager), request_id="w1")
    refused = await post(client, UPDATE, {"input": change}, token=staff_token(desk), request_id="w2")
    missing = {"memberId": gid("Member", 999999), "email": "x@example.com"}
    not_found = await post(client, UPDATE, {"input": missing}, token=staff_token(manager), request_id="w3")
    # then
    assert done == {"data": {"memberUpdate": {"member": {"id": gid("Member", member.id)}, "errors": []}}}
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not_found == {"data": {"memberUpdate": {"member": None, "errors": [{"code": "NOT_FOUND"}]}}}
    arguments = {"arguments": ["memberId", "phone"]}
    assert await audit_rows() == [
        ("write", "staff", manager.id, "account_manager", "memberUpdate", member.id, "ok", "w1", arguments),
        ("write", "staff", desk.id, "front_desk", "memberUpdate", member.id, "FORBIDDEN", "w2", arguments),
        ("write", "staff", manager.id, "account_manager", "memberUpdate", 999999, "NOT_FOUND", "w3", {"arguments": ["email", "memberId"]}),
    ]
    assert (await models.Member.get(id=member.id)).phone == "+41445551234"


async def test_a_mutation_spread_from_a_fragment_is_recorded_too(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(tier=(await make_tiers())["Silver"], account_manager_id=manager.id)
    document = (
        "mutation($input: MemberUpdateInput!) { ...Change ... on Mutation { again: memberUpdate(input: $input) { errors { code } } } }"
        " fragment Change on Mutation { memberUpdate(input: $input) { errors { code } } }"
    )
    change = {"memberId": gid("Member", member.id), "phone": "+41445551234"}
    # when
    result = await post(client, document, {"input": change}, token=staff_token(manager), request_id="f1")
    # then
    assert result == {"data": {"again": {"errors": []}, "memberUpdate": {"errors": []}}}
    arguments = {"arguments": ["memberId", "phone"]}
    assert sorted(await audit_rows()) == [
        ("write", "staff", manager.id, "account_manager", "memberUpdate", member.id, "ok", "f1", arguments),
        ("write", "staff", manager.id, "account_manager", "memberUpdate", member.id, "ok", "f1", arguments),
    ]


async def test_a_members_own_write_names_them_and_a_password_never_reaches_the_log(client):
    # given
    member = await make_member(email="mia@example.com", password="correct horse")
    login = 'mutation { login(input: {email: "mia@example.com", password: "correct horse"}) { errors { code } } }'
    update = {"memberId": gid("Member", member.id), "phone": "+41445551234"}
    # when
    await post(client, login, {}, token=member_token(member), request_id="l1")
    await post(client, UPDATE, {"input": update}, token=member_token(member), request_id="l2")
    # then
    rows = await audit_rows()
    assert [row[4:] for row in rows if row[0] == "write"] == [
        ("login", member.id, "ok", "l1", {"arguments": ["email", "password"]}),
        ("memberUpdate", member.id, "ok", "l2", {"arguments": ["memberId", "phone"]}),
    ]
    assert "correct horse" not in str(await models.AuditEntry.all().values_list("detail", flat=True))


AUDIT_LOG = """
query($filter: AuditLogFilter, $first: Int!, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    edges { node { kind actorKind actorId role action outcome requestId detail member { id phone } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_the_club_manager_reads_the_log_newest_first_filtered_and_paged(client):
    # given: an account manager read one member's phone, then changed it
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(phone="+41791234567", account_manager_id=manager.id)
    other = await make_member(account_manager_id=manager.id)
    club_manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    read = "query($id: ID!) { member(id: $id) { phone } }"
    await post(client, read, {"id": gid("Member", member.id)}, token=staff_token(manager), request_id="a1")
    await post(client, read, {"id": gid("Member", other.id)}, token=staff_token(manager), request_id="a2")
    change = {"memberId": gid("Member", member.id), "phone": "+41445551234"}
    await post(client, UPDATE, {"input": change}, token=staff_token(manager), request_id="a3")
    log_filter = {"memberId": gid("Member", member.id), "actorId": gid("Staff", manager.id)}
    # when
    first = await post(client, AUDIT_LOG, {"filter": log_filter, "first": 1}, token=staff_token(club_manager), request_id="l1")
    cursor = first["data"]["auditLog"]["pageInfo"]["endCursor"]
    second = await post(client, AUDIT_LOG, {"filter": log_filter, "first": 5, "after": cursor}, token=staff_token(club_manager), request_id="l2")
    # then
    entry = {"actorKind": "STAFF", "actorId": gid("Staff", manager.id), "role": "ACCOUNT_MANAGER"}
    member_now = {"id": gid("Member", member.id), "phone": "+41445551234"}
    assert first == {
        "data": {
            "auditLog": {
                "edges": [{"node": {**entry, "kind": "WRITE", "action": "memberUpdate", "outcome": "ok", "requestId": "a3",
                                    "detail": {"arguments": ["memberId", "phone"]}, "member": member_now}}],
                "pageInfo": {"hasNextPage": True, "endCursor": cursor},
            }
        }
    }
    assert [edge["node"] for edge in second["data"]["auditLog"]["edges"]] == [
        {**entry, "kind": "READ", "action": "Member.phone", "outcome": "ok", "requestId": "a1", "detail": None, "member": member_now}
    ]
    # Reading the log is on the record once per request; the member's phone shown in it is a read too.
    reads = await models.AuditEntry.filter(actor_id=club_manager.id).order_by("id").values_list("request_id", "action", "member_id")
    assert reads == [
        ("l1", "Query.auditLog", member.id),
        ("l1", "Member.phone", member.id),
        ("l2", "Query.auditLog", member.id),
        ("l2", "Member.phone", member.id),
    ]


async def test_the_log_filters_by_kind_action_and_time(client):
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=manager.id)
    admin = await make_staff(models.StaffRole.ADMINISTRATOR)
    await post(client, "query($id: ID!) { member(id: $id) { email birthday } }", {"id": gid("Member", member.id)}, token=staff_token(manager), request_id="f1")
    now = datetime.now(timezone.utc)
    # when
    email_reads = {"kind": "READ", "action": "Member.email", "from": (now - timedelta(minutes=1)).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()}
    later = {"from": (now + timedelta(minutes=1)).isoformat()}
    partners = {"actorKind": "PARTNER"}
    results = [
        await post(client, AUDIT_LOG, {"filter": f, "first": 10}, token=staff_token(admin), request_id="q")
        for f in (email_reads, later, partners)
    ]
    # then
    assert [[edge["node"]["action"] for edge in result["data"]["auditLog"]["edges"]] for result in results] == [
        ["Member.email"],
        [],
        [],
    ]


async def test_the_log_is_append_only_no_operation_changes_or_deletes_a_row(client):
    # given
    schema = build_schema()._schema
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(account_manager_id=manager.id)
    query = "query($id: ID!) { member(id: $id) { phone } }"
    await post(client, query, {"id": gid("Member", member.id)}, token=staff_token(manager), request_id="s1")
    kept = await audit_rows()
    # when: more reads and writes follow
    await post(client, query, {"id": gid("Member", member.id)}, token=staff_token(manager), request_id="s2")
    await post(client, UPDATE, {"input": {"memberId": gid("Member", member.id), "phone": "+41445550000"}}, token=staff_token(manager), request_id="s3")
    # then: the first row is still there as it was, and nothing in the schema writes the log
    assert (await audit_rows())[: len(kept)] == kept
    assert len(await audit_rows()) == len(kept) + 2
    assert not [name for name in schema.mutation_type.fields if "audit" in name.lower()]
    assert not [
        name for name, field in schema.mutation_type.fields.items() if "AuditEntry" in str(field.type) or any(
            "AuditEntry" in str(sub.type) for sub in getattr(getattr(field.type, "of_type", field.type), "fields", {}).values()
        )
    ]


async def test_a_birthday_read_through_the_care_calendar_is_audited_once(client):
    # given: a birthday tomorrow, read by the club manager
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    soon = datetime.now(timezone.utc).date() + timedelta(days=1)
    member = await make_member(tier=(await make_tiers())["Silver"], birthday=soon.replace(year=1980))
    query = "{ careCalendar(days: 7) { edges { node { kind years date member { id } } } } }"
    # when
    result = await post(client, query, {}, token=staff_token(boss), request_id="c1")
    # then
    assert result["data"]["careCalendar"]["edges"][0]["node"]["years"] == soon.year - 1980
    assert await audit_rows() == [("read", "staff", boss.id, "club_manager", "Member.birthday", member.id, "ok", "c1", None)]


async def test_concurrent_requests_share_commits_but_each_gets_exactly_its_own_rows(client, sql):
    # given: 30 members and a club manager who reads their phones and emails, each request a different member
    manager = await make_staff(models.StaffRole.CLUB_MANAGER)
    members = [await make_member(phone=f"+4179123{i:04d}") for i in range(30)]
    query = "query($id: ID!) { member(id: $id) { phone email } }"
    token = staff_token(manager)
    await post(client, query, {"id": gid("Member", members[0].id)}, token=token, request_id="warm-up")
    await models.AuditEntry.all().delete()
    sql.statements.clear()
    # when: all at once, so that their rows are written while others are still waiting
    results = await asyncio.gather(
        *(post(client, query, {"id": gid("Member", m.id)}, token=token, request_id=f"req-{i}") for i, m in enumerate(members))
    )
    # then: every answer, two rows per request naming it, and fewer INSERTs than requests
    assert [result["data"]["member"]["phone"] for result in results] == [m.phone for m in members]
    rows = await audit_rows()
    assert sorted((row[7], row[4], row[5]) for row in rows) == sorted(
        (f"req-{i}", action, m.id) for i, m in enumerate(members) for action in ("Member.email", "Member.phone")
    )
    inserts = [statement for statement in sql.statements if statement.startswith("INSERT INTO audit_entry")]
    assert 1 <= len(inserts) < len(members)


class _Abort(Exception):
    pass


async def test_rows_recorded_in_a_transaction_go_with_it_while_other_requests_keep_theirs(database):
    # given: a change that records its row in its transaction, then rolls back, while 20 requests
    # outside any transaction record theirs through the shared INSERT
    viewer = staff_viewer(1, models.StaffRole.CLUB_MANAGER)

    async def rolled_back_change() -> None:
        with pytest.raises(_Abort):
            async with in_transaction():
                await audit.record(viewer, [AuditRecord(AuditKind.WRITE, "memberUpdate", member_id=99)], request_id="rolled-back")
                await asyncio.sleep(0.05)  # the others record meanwhile
                raise _Abort

    async def request(i: int) -> None:
        await asyncio.sleep(0.001 * (i % 3))
        await audit.record(viewer, [AuditRecord(AuditKind.READ, "Member.phone", member_id=i)], request_id=f"req-{i}")

    # when: all at once, and none may wait for ever on the others
    await asyncio.wait_for(asyncio.gather(rolled_back_change(), *(request(i) for i in range(20))), timeout=30)
    # then: the rolled-back change left no row, and every request its own
    rows = await models.AuditEntry.all().values_list("request_id", "member_id")
    assert sorted(rows) == sorted((f"req-{i}", i) for i in range(20))


async def test_statements_running_among_audit_writes_count_only_the_rows_they_change(database):
    # given: twenty members, each to be renamed by a conditional UPDATE, whose count of changed rows
    # decides races elsewhere (a refresh token rotated once), while twenty requests record audit rows
    members = [await make_member(name=f"Before {i}") for i in range(20)]
    viewer = staff_viewer(1, models.StaffRole.CLUB_MANAGER)

    async def rename(member: models.Member) -> int:
        return await models.Member.filter(id=member.id, name=member.name).update(name=f"After {member.id}")

    async def request(i: int) -> None:
        records = [AuditRecord(AuditKind.READ, "Member.phone", member_id=member.id) for member in members]
        await audit.record(viewer, records, request_id=f"req-{i}")

    # when
    results = await asyncio.gather(*(rename(member) for member in members), *(request(i) for i in range(20)))
    # then: each UPDATE changed its one row, whatever the INSERTs did meanwhile
    assert results[:20] == [1] * 20
    assert await models.AuditEntry.all().count() == 20 * 20
