"""memberErase: a member's personal data pseudonymized everywhere, while the ledger, the partners'
settlements and the analytics totals stay as they were; refused erasures change nothing."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from tortoise import Tortoise

from domain import analytics, audit, erasure, ledger, models, settlement
from domain.db import Period
from domain.errors import DomainError, PermissionDenied
from domain.viewer import member_viewer, partner_viewer, staff_viewer
from tests.factories import gid, gql, partner_gql, staff_token
from tests.member_story import PASSWORD, SECRETS, VOUCHER_CODE, Story, make_story

ERASE = """
mutation($input: MemberEraseInput!) {
  memberErase(input: $input) { member { id name email phone birthday status } errors { field code message } }
}
"""
EXPORT = "query($id: ID!) { memberDataExport(id: $id) { formatVersion data } }"
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }"
VALIDATE = """
query($code: String!) {
  voucherValidate(code: $code) { voucher { code member { reference tierName name } } errors { code } }
}
"""
REASON = "The member's written request of 1 December"


def _erase(story: Story, **input: Any) -> dict[str, Any]:
    return {"input": {"memberId": gid("Member", story.member.id), "reason": REASON, **input}}


async def _database() -> dict[str, list[str]]:
    """Every row of every table, as text; the audit log and rate buckets aside, which every request writes."""
    dump = {}
    for model in Tortoise.apps["models"].values():
        if model in (models.AuditEntry, models.RateBucket):
            continue
        rows = await model.all().order_by(model._meta.pk_attr).values()
        dump[model._meta.db_table] = [json.dumps(row, default=str, sort_keys=True) for row in rows]
    return dump


def _secrets_in(dump: dict[str, list[str]]) -> dict[str, list[str]]:
    """{table: the secrets found in its rows}: what of the member's personal data is still there."""
    found = {}
    for table, rows in dump.items():
        hits = sorted({secret for row in rows for secret in SECRETS if secret.lower() in row.lower()})
        if hits:
            found[table] = hits
    return found


async def _figures(story: Story, at: datetime) -> dict[str, Any]:
    """The partner's settlement statement and every analytics figure over the story's period."""
    since, until = story.period
    manager = story.club_manager_viewer
    statement = await settlement.settlement_statement(viewer=partner_viewer(story.partner.id), since=since, until=until)
    return {
        "settlement": dataclasses.replace(statement, partner=None),
        "members": await analytics.member_counts(viewer=manager, as_of=at),
        "tiers": await analytics.tier_distribution(viewer=manager),
        "liability": await analytics.points_liability(viewer=manager, now=at),
        "held": await analytics.points_held(viewer=manager),
        "flow": await analytics.points_flow(viewer=manager, start=since, end=until, period=Period.DAY),
        "fill": await analytics.event_fill_rates(viewer=manager, start=since, end=until),
        "nps": await analytics.nps_trend(viewer=manager, start=since, end=until, period=Period.DAY),
    }


async def _counts() -> dict[str, int]:
    """How many rows the tables that carry figures hold."""
    tables = (
        models.LedgerEntry,
        models.PointsLot,
        models.LotConsumption,
        models.Purchase,
        models.Redemption,
        models.Voucher,
        models.PartnerPointsAward,
        models.PartnerMemberReference,
        models.BenefitUse,
        models.EventRegistration,
        models.EventFeedback,
        models.Interaction,
        models.Task,
        models.Ticket,
        models.TicketResponse,
        models.SurveyInstance,
        models.SurveyAnswer,
        models.Consent,
    )
    return {model.__name__: await model.all().count() for model in tables}


async def _amounts() -> list[tuple]:
    return await models.LedgerEntry.all().order_by("id").values_list("member_id", "kind", "amount", "created_at")


# --- erasure ----------------------------------------------------------------------------------


async def test_an_erasure_removes_the_personal_data_everywhere_and_keeps_the_books(client):
    # given
    story = await make_story()
    at = datetime.now(timezone.utc)
    figures = await _figures(story, at)
    counts = await _counts()
    amounts = await _amounts()
    assert _secrets_in(await _database()) != {}
    # when
    result = await gql(client, ERASE, _erase(story), token=staff_token(story.club_manager))
    # then: the payload
    member_id = story.member.id
    assert result == {
        "data": {
            "memberErase": {
                "member": {
                    "id": gid("Member", member_id),
                    "name": f"Erased member {member_id}",
                    "email": f"erased-{member_id}@erased.invalid",
                    "phone": None,
                    "birthday": None,
                    "status": "RESIGNED",
                },
                "errors": [],
            }
        }
    }
    # then: the member's row
    row = await models.Member.get(id=member_id)
    assert (row.name, row.email, row.phone, row.birthday, row.gender, row.password_hash, row.status) == (
        f"Erased member {member_id}",
        f"erased-{member_id}@erased.invalid",
        None,
        None,
        models.Gender.UNDISCLOSED,
        None,
        models.MemberStatus.RESIGNED,
    )
    assert row.erased_at is not None
    assert row.referral_code != story.member.referral_code
    assert (row.points_balance, row.points_debt, row.tier_id, row.referred_by_id) == (
        story.member.points_balance,
        story.member.points_debt,
        story.member.tier_id,
        story.referrer.id,
    )
    # then: nothing of what the member is, or what was written about them, is left in any table
    assert _secrets_in(await _database()) == {}
    assert await models.MemberPreference.filter(member_id=member_id).count() == 0
    assert await models.ImportantDate.filter(member_id=member_id).count() == 0
    consents = await models.Consent.filter(member_id=member_id).order_by("purpose").values_list(
        "purpose", "granted", "source"
    )
    assert consents == [
        (models.ConsentPurpose.MARKETING, False, models.ConsentSource.STAFF),
        (models.ConsentPurpose.PARTNER_SHARING, False, models.ConsentSource.STAFF),
    ]
    assert await models.Interaction.filter(member_id=member_id).values_list("summary", flat=True) == ["[erased]"]
    tasks = await models.Task.filter(member_id=member_id).order_by("id").values_list("title", "notes", "status")
    assert tasks == [("[erased]", "[erased]", models.TaskStatus.CANCELLED)] * 2
    tickets = await models.Ticket.filter(member_id=member_id).values_list("subject", "description")
    assert tickets == [("[erased]", "[erased]")]
    assert await models.TicketResponse.all().values_list("body", flat=True) == ["[erased]"] * 3
    answers = await models.SurveyAnswer.all().order_by("id").values_list("kind", "score", "text")
    assert answers == [
        (models.QuestionKind.NPS, 9, None),
        (models.QuestionKind.CSAT, 4, None),
        (models.QuestionKind.TEXT, None, "[erased]"),
    ]
    assert await models.EventFeedback.all().values_list("rating", "comment") == [(4, "[erased]")]
    # then: the rows, amounts and figures stay
    assert await _counts() == counts
    assert await _amounts() == amounts
    assert await ledger.check_invariants() == []
    after = await _figures(story, at)
    assert {**after, "members": None, "tiers": None} == {**figures, "members": None, "tiers": None}
    # Status counts are today's statuses, and the distribution counts active members: Mia left the club.
    assert (figures["members"].total, figures["members"].active, figures["members"].resigned) == (3, 3, 0)
    assert (after["members"].total, after["members"].active, after["members"].resigned) == (3, 2, 1)
    assert dataclasses.replace(after["members"], active=3, resigned=0) == figures["members"]
    assert [(share.members, share.share) for share in figures["tiers"]] == [(3, 1.0), (0, 0.0), (0, 0.0), (0, 0.0)]
    assert [(share.members, share.share) for share in after["tiers"]] == [(2, 1.0), (0, 0.0), (0, 0.0), (0, 0.0)]


def _bearer(story: Story) -> dict[str, str]:
    return {"Authorization": f"Bearer {story.session_token}"}


async def test_an_erased_member_can_no_longer_sign_in_and_their_tokens_are_refused(client):
    # given: Mia signed in, and her access token works
    story = await make_story()
    me = await client.post("/graphql", json={"query": "{ me { __typename } }"}, headers=_bearer(story))
    assert me.json() == {"data": {"me": {"__typename": "Member"}}}
    # when
    await gql(client, ERASE, _erase(story), token=staff_token(story.club_manager))
    # then
    me = await client.post("/graphql", json={"query": "{ me { __typename } }"}, headers=_bearer(story))
    assert me.status_code == 401
    for email in ("mia.lindqvist@example.com", f"erased-{story.member.id}@erased.invalid"):
        login = await gql(client, LOGIN, {"input": {"email": email, "password": PASSWORD}})
        assert login == {"data": {"login": {"token": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}}}
    sign_ins = await models.AuthSession.filter(subject_kind="member", subject_id=story.member.id).values(
        "revoked_reason", "client_address"
    )
    assert sign_ins == [{"revoked_reason": "erased", "client_address": None}]


async def test_the_export_of_an_erased_member_holds_no_personal_data(client):
    # given
    story = await make_story()
    token = staff_token(story.club_manager)
    await gql(client, ERASE, _erase(story), token=token)
    # when
    result = await gql(client, EXPORT, {"id": gid("Member", story.member.id)}, token=token)
    # then
    data = result["data"]["memberDataExport"]["data"]
    assert [secret for secret in SECRETS if secret.lower() in json.dumps(data).lower()] == []
    member_id = story.member.id
    assert {key: data["profile"][key] for key in ("name", "email", "phone", "gender", "birthday", "status")} == {
        "name": f"Erased member {member_id}",
        "email": f"erased-{member_id}@erased.invalid",
        "phone": None,
        "gender": "undisclosed",
        "birthday": None,
        "status": "resigned",
    }
    assert (data["preferences"], data["importantDates"]) == ([], [])
    assert data["points"]["balance"] == story.member.points_balance


async def test_a_partner_keeps_its_reference_of_an_erased_member_but_sees_no_name(client):
    # given: Mia consented to partner sharing, so the partner's counter shows her name
    story = await make_story()
    before = await partner_gql(client, VALIDATE, {"code": VOUCHER_CODE}, key=story.partner_key)
    assert before["data"]["voucherValidate"]["voucher"]["member"] == {
        "reference": story.member_reference,
        "tierName": "Silver",
        "name": "Mia Lindqvist",
    }
    # when
    await gql(client, ERASE, _erase(story), token=staff_token(story.club_manager))
    # then: the same reference, the voucher still hers, no name
    after = await partner_gql(client, VALIDATE, {"code": VOUCHER_CODE}, key=story.partner_key)
    assert after["data"] == {
        "voucherValidate": {
            "voucher": {
                "code": VOUCHER_CODE,
                "member": {"reference": story.member_reference, "tierName": "Silver", "name": None},
            },
            "errors": [],
        }
    }
    references = await models.PartnerMemberReference.filter(member_id=story.member.id).values_list("reference", flat=True)
    assert references == [story.member_reference]


async def test_the_erasure_is_audited_with_its_reason_in_its_own_transaction():
    # given
    story = await make_story()
    viewer = story.club_manager_viewer
    # when
    await erasure.erase_member(viewer=viewer, member_id=story.member.id, reason=REASON, request_id="req-1")
    # then
    rows = await audit.entry_query(viewer=viewer, member_id=story.member.id, action=erasure.ERASED_ACTION).values(
        "kind", "actor_kind", "actor_id", "actor_role", "outcome", "request_id", "detail"
    )
    assert rows == [
        {
            "kind": models.AuditKind.WRITE,
            "actor_kind": "staff",
            "actor_id": story.club_manager.id,
            "actor_role": "club_manager",
            "outcome": "ok",
            "request_id": "req-1",
            "detail": {"reason": REASON},
        }
    ]


# --- refusals ---------------------------------------------------------------------------------


def _error(field: str | None, code: str, message: str) -> dict[str, Any]:
    return {"data": {"memberErase": {"member": None, "errors": [{"field": field, "code": code, "message": message}]}}}


async def test_a_second_erasure_is_refused_and_changes_nothing(client):
    # given
    story = await make_story()
    token = staff_token(story.club_manager)
    await gql(client, ERASE, _erase(story), token=token)
    erased_on = (await models.Member.get(id=story.member.id)).erased_at
    before = await _database()
    # when
    result = await gql(client, ERASE, _erase(story), token=token)
    # then
    assert result == _error("memberId", "ALREADY_ERASED", f"This member was erased on {erased_on:%Y-%m-%d}")
    assert await _database() == before
    assert await models.AuditEntry.filter(action=erasure.ERASED_ACTION).count() == 1


async def test_a_member_with_a_pending_redemption_is_not_erased(client):
    # given: a partner has not answered yet, and may still issue the reward
    story = await make_story()
    await models.Redemption.filter(member_id=story.member.id).update(status=models.RedemptionStatus.PENDING)
    before = await _database()
    # when
    result = await gql(client, ERASE, _erase(story), token=staff_token(story.club_manager))
    # then
    assert result == _error(
        "memberId",
        "PENDING_REDEMPTIONS",
        "A redemption of this member is still pending at a partner: erase once it is settled",
    )
    assert await _database() == before
    assert await models.AuditEntry.filter(action=erasure.ERASED_ACTION).count() == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"memberId": gid("Member", 999_999)}, ("memberId", "NOT_FOUND", "Member not found")),
        ({"memberId": gid("Staff", 1)}, ("memberId", "NOT_FOUND", "Member not found")),
        ({"reason": "  "}, ("reason", "REQUIRED", "This value is required")),
        ({"reason": "x" * 501}, ("reason", "TOO_LONG", "At most 500 characters")),
        ({"reason": "bell\x07"}, ("reason", "INVALID", "Control characters are not allowed")),
    ],
    ids=["unknown member", "not a member id", "blank reason", "reason too long", "control character"],
)
async def test_a_bad_input_is_refused_and_changes_nothing(client, change, expected):
    # given
    story = await make_story()
    before = await _database()
    # when
    result = await gql(client, ERASE, _erase(story, **change), token=staff_token(story.club_manager))
    # then
    assert result == _error(*expected)
    assert await _database() == before


@pytest.mark.parametrize("role", [models.StaffRole.ACCOUNT_MANAGER, models.StaffRole.FRONT_DESK, None])
async def test_only_club_managers_and_administrators_erase(role):
    # given: the member's own account manager, the front desk, the member themself
    story = await make_story()
    viewer = member_viewer(story.member.id) if role is None else staff_viewer(story.manager.id, role)
    before = await _database()
    # when / then
    with pytest.raises(PermissionDenied):
        await erasure.erase_member(viewer=viewer, member_id=story.member.id, reason=REASON)
    assert await _database() == before


async def test_the_erasure_is_one_transaction(monkeypatch):
    # given: the erasure fails at its last step, the audit row, after everything else was written
    story = await make_story()
    before = await _database()

    async def failing(*args: Any, **kwargs: Any) -> None:
        raise DomainError("INVALID", "audit log full")

    monkeypatch.setattr(audit, "record", failing)
    # when
    with pytest.raises(DomainError):
        await erasure.erase_member(viewer=story.club_manager_viewer, member_id=story.member.id, reason=REASON)
    # then
    assert await _database() == before
