"""partnerUpdate: partner managers change a partner; only the fields given change; the slug stays."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import models
from tests.factories import gid, gql, make_partner, make_staff, staff_token

UPDATE = """
mutation($input: PartnerUpdateInput!) {
  partnerUpdate(input: $input) {
    partner { name slug status baseUrl pointValue currency requireSignature dailyAwardCap }
    errors { field code message }
  }
}
"""


async def _manager_token() -> str:
    return staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))


async def test_only_the_fields_given_change(client):
    # given
    partner = await make_partner("Maison Laurent", base_url="https://laurent.example")
    token = await _manager_token()
    # when
    result = await gql(
        client,
        UPDATE,
        {
            "input": {
                "partnerId": gid("Partner", partner.id),
                "name": "Maison Laurent & Fils",
                "pointValue": "0.0125",
                "dailyAwardCap": 2500,
            }
        },
        token=token,
    )
    # then
    assert result == {
        "data": {
            "partnerUpdate": {
                "partner": {
                    "name": "Maison Laurent & Fils",
                    "slug": "maison-laurent",
                    "status": "ACTIVE",
                    "baseUrl": "https://laurent.example",
                    "pointValue": "0.0125",
                    "currency": "CHF",
                    "requireSignature": False,
                    "dailyAwardCap": 2500,
                },
                "errors": [],
            }
        }
    }
    row = await models.Partner.get(id=partner.id)
    assert (row.name, row.point_value, row.daily_award_cap) == ("Maison Laurent & Fils", Decimal("0.0125"), 2500)


async def test_suspend_require_signature_and_make_push_only(client):
    # given
    partner = await make_partner(base_url="https://laurent.example")
    token = await _manager_token()
    # when
    result = await gql(
        client,
        UPDATE,
        {"input": {"partnerId": gid("Partner", partner.id), "status": "SUSPENDED", "requireSignature": True, "baseUrl": None}},
        token=token,
    )
    # then
    changed = result["data"]["partnerUpdate"]
    assert (changed["partner"]["status"], changed["partner"]["requireSignature"], changed["partner"]["baseUrl"]) == (
        "SUSPENDED",
        True,
        None,
    )
    row = await models.Partner.get(id=partner.id)
    assert (row.status, row.require_signature, row.base_url) == (models.PartnerStatus.SUSPENDED, True, None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": None}, {"field": "name", "code": "REQUIRED", "message": "This value cannot be cleared"}),
        ({"pointValue": None}, {"field": "pointValue", "code": "REQUIRED", "message": "This value cannot be cleared"}),
        ({"name": "Other"}, {"field": "name", "code": "NAME_TAKEN", "message": "A partner with this name exists already"}),
        (
            {"pointValue": "-1"},
            {"field": "pointValue", "code": "INVALID", "message": "The value of a point must be above 0 and at most 1000"},
        ),
        (
            {"baseUrl": "laurent.example"},
            {
                "field": "baseUrl",
                "code": "INVALID",
                "message": "Enter the partner's endpoint as an http(s) URL, e.g. https://partner.example/api",
            },
        ),
        (
            {"dailyAwardCap": -1},
            {
                "field": "dailyAwardCap",
                "code": "INVALID",
                "message": "The daily cap is a whole number of points from 0 (no awards) to 1,000,000",
            },
        ),
        ({"dailyAwardCap": None}, {"field": "dailyAwardCap", "code": "REQUIRED", "message": "This value cannot be cleared"}),
        ({"partnerId": "missing"}, {"field": "partnerId", "code": "NOT_FOUND", "message": "Partner not found"}),
        ({"partnerId": "member"}, {"field": "partnerId", "code": "NOT_FOUND", "message": "Partner not found"}),
    ],
    ids=[
        "clear name", "clear value", "taken name", "negative value", "bad url", "negative cap", "clear cap",
        "unknown partner", "a member's id",
    ],
)
async def test_bad_changes_are_refused_and_nothing_changes(client, fields, error):
    # given
    partner = await make_partner("Maison Laurent")
    await make_partner("Other")
    token = await _manager_token()
    partner_id = {"missing": gid("Partner", partner.id + 100), "member": gid("Member", partner.id)}.get(
        fields.pop("partnerId", None), gid("Partner", partner.id)
    )
    # when
    result = await gql(client, UPDATE, {"input": {"partnerId": partner_id, **fields}}, token=token)
    # then
    assert result == {"data": {"partnerUpdate": {"partner": None, "errors": [error]}}}
    row = await models.Partner.get(id=partner.id)
    assert (row.name, row.point_value) == ("Maison Laurent", Decimal("0.0100"))
