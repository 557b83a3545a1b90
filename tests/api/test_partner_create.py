"""partnerCreate: partner managers register a partner; the signing secret is shown once; every value is checked."""

from __future__ import annotations

import pytest

from domain import models
from tests.factories import gid, gql, make_partner, make_staff, staff_token

CREATE = """
mutation($input: PartnerCreateInput!) {
  partnerCreate(input: $input) {
    partner { id name slug status baseUrl pointValue currency requireSignature dailyAwardCap apiKeys { prefix } }
    signingSecret
    errors { field code message }
  }
}
"""


def partner_input(**fields):
    values = {"name": "Maison Laurent", "baseUrl": "https://laurent.example/api/", "pointValue": "0.0100", "currency": "chf"}
    return {"input": {**values, **fields}}


async def test_a_partner_manager_registers_a_partner_and_sees_its_signing_secret_once(client):
    # given
    manager = await make_staff(models.StaffRole.PARTNER_MANAGER)
    # when
    result = await gql(client, CREATE, partner_input(requireSignature=True), token=staff_token(manager))
    # then
    row = await models.Partner.get(name="Maison Laurent")
    assert result == {
        "data": {
            "partnerCreate": {
                "partner": {
                    "id": gid("Partner", row.id),
                    "name": "Maison Laurent",
                    "slug": "maison-laurent",
                    "status": "ACTIVE",
                    "baseUrl": "https://laurent.example/api",
                    "pointValue": "0.0100",
                    "currency": "CHF",
                    "requireSignature": True,
                    "dailyAwardCap": 10000,
                    "apiKeys": [],
                },
                "signingSecret": row.signing_secret,
                "errors": [],
            }
        }
    }
    assert len(row.signing_secret) >= 40


async def test_a_push_only_partner_has_no_endpoint_and_a_taken_slug_gets_a_number(client):
    # given
    manager = await make_staff(models.StaffRole.PARTNER_MANAGER)
    await make_partner("Café Zürich", slug="cafe-zurich")
    # when
    result = await gql(client, CREATE, partner_input(name="Café  Zürich", baseUrl=None), token=staff_token(manager))
    # then
    partner = result["data"]["partnerCreate"]["partner"]
    assert (partner["name"], partner["slug"], partner["baseUrl"]) == ("Café  Zürich", "cafe-zurich-2", None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "  "}, {"field": "name", "code": "REQUIRED", "message": "This value is required"}),
        ({"name": "x" * 201}, {"field": "name", "code": "TOO_LONG", "message": "At most 200 characters"}),
        ({"name": "Existing"}, {"field": "name", "code": "NAME_TAKEN", "message": "A partner with this name exists already"}),
        (
            {"baseUrl": "ftp://laurent.example"},
            {
                "field": "baseUrl",
                "code": "INVALID",
                "message": "Enter the partner's endpoint as an http(s) URL, e.g. https://partner.example/api",
            },
        ),
        (
            {"pointValue": "0"},
            {"field": "pointValue", "code": "INVALID", "message": "The value of a point must be above 0 and at most 1000"},
        ),
        (
            {"pointValue": "0.00001"},
            {"field": "pointValue", "code": "INVALID", "message": "The value of a point has at most 4 decimal places"},
        ),
        (
            {"currency": "Swiss francs"},
            {"field": "currency", "code": "INVALID", "message": "Enter the currency as an ISO 4217 code, e.g. CHF"},
        ),
    ],
    ids=["blank name", "long name", "taken name", "bad url", "zero value", "five decimals", "bad currency"],
)
async def test_bad_values_are_refused_and_nothing_is_created(client, fields, error):
    # given
    manager = await make_staff(models.StaffRole.PARTNER_MANAGER)
    await make_partner("Existing")
    # when
    result = await gql(client, CREATE, partner_input(**fields), token=staff_token(manager))
    # then
    assert result == {"data": {"partnerCreate": {"partner": None, "signingSecret": None, "errors": [error]}}}
    assert await models.Partner.all().values_list("name", flat=True) == ["Existing"]
