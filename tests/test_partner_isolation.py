"""A partner's API key sees only the partner's own objects, through HTTP with real keys.

It cannot read members' personal data (no `members`, `member`, `node` or `nodes`, names only with
consent), another partner's vouchers (NOT_FOUND, nothing changes), another partner's members (their
references mean nothing to it) or another partner's settlement. A partner that must sign its requests
uses the partner API with signatures, and is refused without.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
)

from domain import models
from domain.signatures import signature_headers
from schema import build_schema
from schema.partners.guard import PARTNER_FIELDS
from tests.factories import (
    gid,
    gql,
    make_api_key,
    make_consent,
    make_member,
    make_member_reference,
    make_partner,
    make_redemption,
    make_staff,
    make_voucher,
    partner_gql,
    refused,
    staff_token,
)

VALIDATE = """
query($code: String!) {
  voucherValidate(code: $code) { voucher { code member { reference tierName name } } errors { field code message } }
}
"""
CONSUME = """
mutation($code: String!, $key: String!) {
  voucherConsume(input: {code: $code, idempotencyKey: $key}) { voucher { code status } errors { field code message } }
}
"""
AWARD = """
mutation($reference: String!) {
  partnerPointsAward(input: {memberReference: $reference, points: 10, purchaseReference: "R-1", idempotencyKey: "k"}) {
    award { points } errors { field code message }
  }
}
"""
STATEMENT = """
query($partnerId: ID) {
  settlementStatement(period: {from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z"}, partnerId: $partnerId) {
    partner { name } pointsRedeemed
  }
}
"""
PUSH = """
mutation {
  partnerCatalogPush(input: {items: [{id: "a", title: "A", pointsPrice: 5, category: "wine", validityDays: 9}]}) {
    summary { itemCount } errors { field code message }
  }
}
"""
VOUCHER_NOT_FOUND = {"field": "code", "code": "NOT_FOUND", "message": "Voucher not found"}


async def _two_partners():
    mine = await make_partner("Maison Laurent")
    theirs = await make_partner("Spa Lumen")
    _, key = await make_api_key(mine)
    member = await make_member(name="Mia Member", phone="+41791234567")
    return mine, theirs, key, member


# --- personal data --------------------------------------------------------------------------


def _node_types() -> list[str]:
    schema = build_schema()._schema
    return sorted(type_.name for type_ in schema.get_possible_types(schema.get_type("Node")))


@pytest.mark.parametrize("type_name", _node_types())
async def test_no_node_of_any_type_is_reachable_by_id(client, type_name):
    # given: the partner's own objects among them
    mine, _, key, member = await _two_partners()
    own = {"Partner": mine.id, "Member": member.id}.get(type_name, 1)
    # when
    node = await partner_gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": gid(type_name, own)}, key=key)
    nodes = await partner_gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [gid(type_name, own)]}, key=key)
    # then
    assert node == refused("node", "FORBIDDEN", "A partner's API key may not use `node`")
    assert nodes == refused("nodes", "FORBIDDEN", "A partner's API key may not use `nodes`")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ("{ members { edges { node { name phone } } } }", "members"),
        ('{ member(id: "TWVtYmVyOjE=") { name phone } }', "member"),
        ("{ partners { edges { node { name } } } }", "partners"),
    ],
)
async def test_no_member_or_partner_list_is_reachable(client, document, field):
    # given
    _, _, key, _ = await _two_partners()
    # when
    result = await partner_gql(client, document, key=key)
    # then
    assert result == refused(field, "FORBIDDEN", f"A partner's API key may not use `{field}`")


def _named(type_: object) -> GraphQLNamedType:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_  # type: ignore[return-value]


def test_what_the_partner_api_returns_reaches_no_member_and_no_node_but_the_partner_itself():
    # given
    schema = build_schema()._schema
    roots = [
        field
        for root in (schema.query_type, schema.mutation_type)
        for name, field in root.fields.items()
        if name in PARTNER_FIELDS and name != "me"
    ]
    # when: every type reachable from the partner API's answers
    seen: set[str] = set()
    pending = [_named(field.type) for field in roots]
    while pending:
        type_ = pending.pop()
        if type_.name in seen:
            continue
        seen.add(type_.name)
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            pending.extend(_named(field.type) for field in type_.fields.values())
        elif isinstance(type_, GraphQLUnionType):
            pending.extend(type_.types)
    # then: the partner's own record (and its keys) are the only nodes; no member type at all
    node_types = {name for name in seen if isinstance(schema.get_type(name), GraphQLObjectType)} & set(_node_types())
    assert node_types == {"Partner", "PartnerApiKey"}
    assert schema.get_type("VoucherHolder").fields.keys() == {"reference", "tierName", "name"}
    assert "Member" not in seen


async def test_a_voucher_shows_no_name_without_consent_and_a_reference_of_this_partner_only(client):
    # given: the member consented to marketing, not to partner sharing
    mine, theirs, key, member = await _two_partners()
    await make_consent(member, models.ConsentPurpose.MARKETING)
    await make_consent(member, models.ConsentPurpose.PARTNER_SHARING, granted=False)
    await make_voucher(member, mine, code="WINE-1")
    their_reference = await make_member_reference(theirs, member)
    # when
    result = await partner_gql(client, VALIDATE, {"code": "WINE-1"}, key=key)
    # then
    holder = result["data"]["voucherValidate"]["voucher"]["member"]
    assert holder == {"reference": await make_member_reference(mine, member), "tierName": "Silver", "name": None}
    assert holder["reference"] != their_reference


# --- other partners' objects ----------------------------------------------------------------


async def test_another_partners_voucher_can_be_neither_validated_nor_consumed(client):
    # given
    _, theirs, key, member = await _two_partners()
    voucher = await make_voucher(member, theirs, code="SPA-1")
    # when
    validated = await partner_gql(client, VALIDATE, {"code": "SPA-1"}, key=key)
    consumed = await partner_gql(client, CONSUME, {"code": "SPA-1", "key": "k"}, key=key)
    # then
    assert validated == {"data": {"voucherValidate": {"voucher": None, "errors": [VOUCHER_NOT_FOUND]}}}
    assert consumed == {"data": {"voucherConsume": {"voucher": None, "errors": [VOUCHER_NOT_FOUND]}}}
    row = await models.Voucher.get(id=voucher.id)
    assert (row.status, row.consumed_at) == (models.VoucherStatus.ISSUED, None)
    assert await models.PartnerMemberReference.all().count() == 0


async def test_another_partners_member_reference_awards_nothing(client):
    # given
    _, theirs, key, member = await _two_partners()
    reference = await make_member_reference(theirs, member)
    # when
    result = await partner_gql(client, AWARD, {"reference": reference}, key=key)
    # then
    assert result == {
        "data": {
            "partnerPointsAward": {
                "award": None,
                "errors": [{"field": "memberReference", "code": "NOT_FOUND", "message": "Member not found"}],
            }
        }
    }
    assert (await models.Member.get(id=member.id)).points_balance == 0


async def test_another_partners_settlement_is_refused(client):
    # given
    mine, theirs, key, member = await _two_partners()
    await make_redemption(member, theirs, points=500, at=datetime(2026, 10, 5, tzinfo=timezone.utc))
    # when
    theirs_named = await partner_gql(client, STATEMENT, {"partnerId": gid("Partner", theirs.id)}, key=key)
    own = await partner_gql(client, STATEMENT, {}, key=key)
    # then
    assert theirs_named == refused(
        "settlementStatement", "FORBIDDEN", "A partner sees only its own statement: leave out partnerId"
    )
    assert own == {"data": {"settlementStatement": {"partner": {"name": "Maison Laurent"}, "pointsRedeemed": 0}}}


async def test_a_pushed_catalog_is_the_pushers_own(client):
    # given
    mine, theirs, key, _ = await _two_partners()
    # when
    result = await partner_gql(client, PUSH, key=key)
    # then
    assert result == {"data": {"partnerCatalogPush": {"summary": {"itemCount": 1}, "errors": []}}}
    assert await models.PartnerCatalogItem.filter(partner_id=mine.id).count() == 1
    assert await models.PartnerCatalogItem.filter(partner_id=theirs.id).count() == 0


async def test_a_revoked_key_reaches_nothing(client):
    # given
    mine, _, key, member = await _two_partners()
    await make_voucher(member, mine, code="WINE-1")
    await models.PartnerApiKey.filter(partner_id=mine.id).update(revoked_at=datetime.now(timezone.utc))
    # when
    response = await client.post(
        "/graphql", json={"query": VALIDATE, "variables": {"code": "WINE-1"}}, headers={"Authorization": f"ApiKey {key}"}
    )
    # then
    assert response.status_code == 401
    assert (await models.Voucher.get(code="WINE-1")).status == models.VoucherStatus.ISSUED


# --- signed requests ------------------------------------------------------------------------


def _body(query: str, variables: dict) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


async def _post(client, body: bytes, key: str, headers: dict[str, str]):
    return await client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"ApiKey {key}", "Content-Type": "application/json", **headers},
    )


async def test_a_partner_that_must_sign_uses_the_partner_api_with_signatures(client):
    # given
    partner = await make_partner("Maison Laurent", require_signature=True, signing_secret="s3cret")
    _, key = await make_api_key(partner)
    member = await make_member()
    await make_voucher(member, partner, code="WINE-1")
    reference = await make_member_reference(partner, member)
    calls = [
        (VALIDATE, {"code": "WINE-1"}),
        (CONSUME, {"code": "WINE-1", "key": "k"}),
        (AWARD, {"reference": reference}),
        (PUSH, {}),
        (STATEMENT, {}),
    ]
    # when
    responses = []
    for query, variables in calls:
        body = _body(query, variables)
        responses.append(await _post(client, body, key, signature_headers("s3cret", body)))
    # then
    assert [response.status_code for response in responses] == [200] * 5
    data = [response.json()["data"] for response in responses]
    assert data[0]["voucherValidate"]["voucher"]["code"] == "WINE-1"
    assert data[1]["voucherConsume"] == {"voucher": {"code": "WINE-1", "status": "CONSUMED"}, "errors": []}
    assert data[2]["partnerPointsAward"] == {"award": {"points": 10}, "errors": []}
    assert data[3]["partnerCatalogPush"] == {"summary": {"itemCount": 1}, "errors": []}
    assert data[4]["settlementStatement"]["partner"] == {"name": "Maison Laurent"}


@pytest.mark.parametrize("signing", ["unsigned", "other body"])
async def test_a_partner_that_must_sign_is_refused_without_a_good_signature_and_nothing_changes(client, signing):
    # given
    partner = await make_partner("Maison Laurent", require_signature=True, signing_secret="s3cret")
    _, key = await make_api_key(partner)
    await make_voucher(await make_member(), partner, code="WINE-1")
    body = _body(CONSUME, {"code": "WINE-1", "key": "k"})
    headers = {"unsigned": {}, "other body": signature_headers("s3cret", _body(CONSUME, {"code": "X", "key": "k"}))}
    # when
    response = await _post(client, body, key, headers[signing])
    # then
    assert response.status_code == 401
    assert (await models.Voucher.get(code="WINE-1")).status == models.VoucherStatus.ISSUED


async def test_staff_cannot_use_a_partners_operations_as_the_partner(client):
    # given: a partner manager may read statements but never award or push as a partner
    mine, _, _, member = await _two_partners()
    token = staff_token(await make_staff(models.StaffRole.PARTNER_MANAGER))
    reference = await make_member_reference(mine, member)
    # when
    award = await gql(client, AWARD, {"reference": reference}, token=token)
    push = await gql(client, PUSH, token=token)
    # then
    assert award == refused("partnerPointsAward", "FORBIDDEN")
    assert push == refused("partnerCatalogPush", "FORBIDDEN")
