"""memberDataExport: everything the club holds about a member, for the member themself, club managers
and administrators; other people's names never in it; every export audited; one query per section."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from unittest.mock import ANY

from domain import member_data, models
from domain.viewer import member_viewer
from tests.factories import (
    gid,
    gql,
    make_interaction,
    make_member,
    make_preference,
    make_purchase,
    make_redemption,
    make_staff,
    make_ticket,
    member_token,
    refused,
    staff_token,
)
from tests.member_story import VOUCHER_CODE, make_story

EXPORT = "query($id: ID!) { memberDataExport(id: $id) { formatVersion exportedAt data } }"
SECTIONS = [
    "formatVersion",
    "exportedAt",
    "memberId",
    "profile",
    "preferences",
    "importantDates",
    "consents",
    "tier",
    "points",
    "purchases",
    "benefitUses",
    "events",
    "care",
    "tickets",
    "surveys",
    "referrals",
    "redemptions",
    "vouchers",
    "partners",
    "signIns",
]


async def test_a_member_exports_everything_the_club_holds_about_them(client):
    # given
    story = await make_story()
    # when
    result = await gql(client, EXPORT, {"id": gid("Member", story.member.id)}, token=member_token(story.member))
    # then
    export = result["data"]["memberDataExport"]
    data = export["data"]
    assert (export["formatVersion"], data["formatVersion"], data["exportedAt"]) == (1, 1, ANY)
    assert list(data) == SECTIONS
    assert data["profile"] == {
        "id": story.member.id,
        "name": "Mia Lindqvist",
        "email": "mia.lindqvist@example.com",
        "phone": "+41795550101",
        "gender": "female",
        "birthday": "1985-04-12",
        "status": "active",
        "joinedOn": "2024-01-01",
        "accountManager": "Anna Manager",
        "createdAt": ANY,
        "erasedAt": None,
    }
    # Staff's private note is the member's personal data too.
    assert [(row["category"], row["value"], row["isPrivate"]) for row in data["preferences"]] == [
        ("seating", "Window seat", False),
        ("note", "Going through a divorce; never seat her near Karl", True),
    ]
    assert [(row["kind"], row["label"], row["date"]) for row in data["importantDates"]] == [
        ("anniversary", "Met Karl", "2012-05-05")
    ]
    assert [(row["purpose"], row["granted"], row["source"]) for row in data["consents"]] == [
        ("marketing", True, "web"),
        ("partner_sharing", True, "web"),
    ]
    assert data["tier"] == {"name": "Silver", "since": None, "reviewOn": None, "history": []}
    points = data["points"]
    assert (points["balance"], points["debt"]) == (450, 0)
    assert [(row["kind"], row["source"], row["amount"], row["reason"]) for row in points["ledgerEntries"]] == [
        ("earn", "purchase", 250, "Purchase at Bar"),
        ("adjust", "staff", 40, "Apology for the noisy table"),
        ("transfer_out", "transfer", -20, "Happy birthday"),
        ("earn", "event", 100, "Thank you for attending"),
        ("earn", "survey", 50, "Thank you for answering our survey"),
        ("earn", "purchase", 100, "Points to redeem"),
        ("hold", "redemption", -100, "Held for a redemption"),
        ("release", "redemption", 100, "Redeemed: Tasting for two"),
        ("redeem", "redemption", -100, "Redeemed: Tasting for two"),
        ("earn", "partner", 30, "Purchase at Maison Laurent"),
    ]
    assert sum(lot["remaining"] for lot in points["lots"]) == 450
    purchases = [(row["amount"], row["currency"], row["pointsEarned"]) for row in data["purchases"]]
    assert purchases == [("250.00", "CHF", 250)]
    uses = [(row["benefitCode"], row["note"]) for row in data["benefitUses"]]
    assert uses == [("welcome_drink", "Asked about corkage")]
    assert [(row["event"], row["status"], row["checkedInAt"] is not None) for row in data["events"]["registrations"]] == [
        ("Piedmont evening", "confirmed", True)
    ]
    assert [(row["event"], row["rating"], row["comment"]) for row in data["events"]["feedback"]] == [
        ("Piedmont evening", 4, "The Barolo was superb")
    ]
    care = data["care"]
    interactions = [(row["kind"], row["summary"]) for row in care["interactions"]]
    assert interactions == [("call", "Talked about the divorce and Karl")]
    assert [(row["kind"], row["title"], row["notes"]) for row in care["tasks"]] == [
        ("follow_up", "Send flowers", "White lilies"),
        ("complaint_follow_up", "Follow up on the complaint: Our anniversary dinner", "The sommelier was rude to Karl"),
    ]
    [ticket] = data["tickets"]
    assert (ticket["category"], ticket["subject"], ticket["description"]) == (
        "complaint",
        "Our anniversary dinner",
        "The sommelier was rude to Karl",
    )
    # Internal notes are about the member: exported, without the name of the staff who wrote them.
    assert [(row["body"], row["byMember"], row["isInternal"]) for row in ticket["responses"]] == [
        ("We are sorry, Mia Lindqvist", False, False),
        ("Karl is still upset", True, False),
        ("Offer her a Barolo", False, True),
    ]
    assert [(row["fromStatus"], row["toStatus"]) for row in ticket["history"]] == [(None, "open")]
    [survey] = data["surveys"]
    assert survey["survey"] == "After your visit"
    assert [(row["kind"], row["score"], row["text"]) for row in survey["answers"]] == [
        ("nps", 9, None),
        ("csat", 4, None),
        ("text", None, "A better sommelier"),
    ]
    assert data["referrals"] == {
        "referralCode": story.member.referral_code,
        "referredByCode": story.referrer.referral_code,
        "referredCount": 1,
        "referredRewardedCount": 0,
    }
    assert [(row["partner"], row["title"], row["points"], row["status"]) for row in data["redemptions"]] == [
        ("Maison Laurent", "Tasting for two", 100, "completed")
    ]
    assert [(row["partner"], row["code"], row["status"]) for row in data["vouchers"]] == [
        ("Maison Laurent", VOUCHER_CODE, "issued")
    ]
    assert data["partners"] == {
        "references": [{"reference": story.member_reference, "partner": "Maison Laurent", "createdAt": ANY}],
        "awards": [{"points": 30, "partner": "Maison Laurent", "purchaseReference": "ML-0042", "createdAt": ANY}],
    }
    assert [(row["clientAddress"], row["revokedAt"]) for row in data["signIns"]] == [("203.0.113.7", None)]


async def test_no_other_members_name_or_contact_is_in_an_export(client):
    # given: Mia was referred by Rita, referred Rolf, and gave Rolf points
    story = await make_story()
    # when
    result = await gql(client, EXPORT, {"id": gid("Member", story.member.id)}, token=member_token(story.member))
    # then
    text = json.dumps(result["data"])
    others = [story.referrer, story.referee]
    assert [value for other in others for value in (other.name, other.email, other.phone) if value in text] == []


async def test_staff_get_voucher_codes_masked_and_the_member_in_full(client):
    # given
    story = await make_story()
    variables = {"id": gid("Member", story.member.id)}
    # when
    staff = await gql(client, EXPORT, variables, token=staff_token(story.club_manager))
    own = await gql(client, EXPORT, variables, token=member_token(story.member))
    # then
    assert [row["code"] for row in staff["data"]["memberDataExport"]["data"]["vouchers"]] == ["WINE-****-****-4TRA"]
    assert [row["code"] for row in own["data"]["memberDataExport"]["data"]["vouchers"]] == [VOUCHER_CODE]


async def test_every_export_writes_one_audit_row(client):
    # given
    story = await make_story()
    administrator = await make_staff(models.StaffRole.ADMINISTRATOR)
    variables = {"id": gid("Member", story.member.id)}
    # when
    await gql(client, EXPORT, variables, token=member_token(story.member))
    await gql(client, EXPORT, variables, token=staff_token(administrator))
    # then
    rows = await models.AuditEntry.filter(kind=models.AuditKind.EXPORT).order_by("id").values(
        "action", "actor_kind", "actor_id", "actor_role", "member_id", "outcome"
    )
    assert rows == [
        {
            "action": "memberDataExport",
            "actor_kind": "member",
            "actor_id": story.member.id,
            "actor_role": None,
            "member_id": story.member.id,
            "outcome": "ok",
        },
        {
            "action": "memberDataExport",
            "actor_kind": "staff",
            "actor_id": administrator.id,
            "actor_role": "administrator",
            "member_id": story.member.id,
            "outcome": "ok",
        },
    ]


async def test_a_refused_or_empty_export_exports_and_audits_nothing(client):
    # given
    story = await make_story()
    variables = {"id": gid("Member", story.member.id)}
    # when
    other_member = await gql(client, EXPORT, variables, token=member_token(story.referee))
    unknown = await gql(client, EXPORT, {"id": gid("Member", 999_999)}, token=staff_token(story.club_manager))
    staff_id = {"id": gid("Staff", story.manager.id)}
    not_a_member = await gql(client, EXPORT, staff_id, token=staff_token(story.club_manager))
    own_manager = await gql(client, EXPORT, variables, token=staff_token(story.manager))
    anonymous = await gql(client, EXPORT, variables)
    # then
    assert other_member == {"data": {"memberDataExport": None}}
    assert unknown == {"data": {"memberDataExport": None}}
    assert not_a_member == {"data": {"memberDataExport": None}}
    # A nullable field: a refusal leaves it null beside the error.
    assert own_manager == {**refused("memberDataExport", "FORBIDDEN"), "data": {"memberDataExport": None}}
    assert anonymous == {**refused("memberDataExport", "UNAUTHENTICATED"), "data": {"memberDataExport": None}}
    assert await models.AuditEntry.filter(kind=models.AuditKind.EXPORT).count() == 0


# --- statements ------------------------------------------------------------------------------


async def _member_with(rows: int) -> models.Member:
    """A member with `rows` purchases (and their ledger entries and lots), interactions, preferences,
    tickets with two replies each, and completed redemptions."""
    member = await make_member()
    start = datetime.now(timezone.utc) - timedelta(days=1)
    for i in range(rows):
        await make_purchase(member, "10.00", at=start + timedelta(minutes=i))
        await make_interaction(member, summary=f"Call {i}")
        await make_preference(member, value=f"Drink {i}")
        ticket = await make_ticket(member, subject=f"Request {i}")
        for body in ("Please", "Done"):
            await models.TicketResponse.create(ticket=ticket, body=body, created_at=start)
        await make_redemption(member, points=5, at=start + timedelta(minutes=i))
    return member


async def test_an_export_costs_the_same_statements_however_long_the_history(sql):
    # given
    small, large = await _member_with(1), await _member_with(12)
    # when
    sql.statements.clear()
    one = await member_data.export_member_data(viewer=member_viewer(small.id), member_id=small.id)
    for_one = len(sql.statements)
    sql.statements.clear()
    many = await member_data.export_member_data(viewer=member_viewer(large.id), member_id=large.id)
    for_many = len(sql.statements)
    # then: the member, one per section, the audit row
    assert (len(one.document["care"]["interactions"]), len(many.document["care"]["interactions"])) == (1, 12)
    assert len(many.document["tickets"][11]["responses"]) == 2
    assert for_one == for_many == 25
