"""The auth matrix of the partner registry: every partner operation against every kind of caller.

Written out by hand from domain/policy.py read as the spec: the registry is for staff with
PARTNER_MANAGE (partner managers, club managers, administrators); nobody else sees a partner or a key.
Partner-key callers are checked below the tables: a partner may call `me` and the partner API
(PARTNER_FIELDS, checked in tests/test_partner_isolation.py) and nothing else, here and in every
other matrix module.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pytest

from domain import models
from tests.auth_matrix import (
    FORBID,
    NULL,
    OK,
    UNAUTH,
    Club,
    Read,
    Write,
    cases,
    check_read,
    check_write,
    make_club,
    mutation,
)
from schema.partners.guard import PARTNER_FIELDS
from tests.factories import (
    gid,
    make_api_key,
    make_member_reference,
    make_partner,
    make_voucher,
    partner_gql,
    refused,
)

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "partners":                   (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, OK,     OK,     OK),
    "partner":                    (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   OK,     OK,     OK),
    "node Partner":               (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   OK,     OK,     OK),
    "nodes Partner":              (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   OK,     OK,     OK),
    "node PartnerApiKey":         (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   OK,     OK,     OK),
    "nodes PartnerApiKey":        (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   OK,     OK,     OK),
    # The partner API: a club voucher at the club's own counter (VOUCHER_CONSUME), any partner's
    # statement for PARTNER_MANAGE. Partner keys are checked in tests/test_partner_isolation.py.
    "voucherValidate":            (UNAUTH,   FORBID,    FORBID, OK,     FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "settlementStatement":        (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, OK,     OK,     OK),
}

WRITES = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "partnerCreate":              (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, OK,     OK,     OK),
    "partnerUpdate":              (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, OK,     OK,     OK),
    "partnerApiKeyCreate":        (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, OK,     OK,     OK),
    "partnerApiKeyRevoke":        (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, OK,     OK,     OK),
    # The partner API: awards and pushes are a partner key's alone.
    "voucherConsume":             (UNAUTH,   FORBID,    FORBID, OK,     FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "partnerPointsAward":         (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, FORBID, FORBID),
    "partnerCatalogPush":         (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, FORBID, FORBID),
}
# fmt: on


@dataclass
class PartnerClub(Club):
    """The club, with a partner holding one live key, the partner's reference of the member, and a
    club voucher of the member's."""

    partner: models.Partner
    api_key: models.PartnerApiKey
    key: str
    member_reference: str
    voucher: models.Voucher


async def make_partner_club() -> PartnerClub:
    club = await make_club()
    partner = await make_partner("Maison Laurent")
    api_key, key = await make_api_key(partner, label="POS")
    return PartnerClub(
        **{field.name: getattr(club, field.name) for field in fields(Club)},
        partner=partner,
        api_key=api_key,
        key=key,
        member_reference=await make_member_reference(partner, club.member),
        voucher=await make_voucher(club.member, None, code="CLUB-0001", title="Champagne at the bar"),
    )


NODE = "query($id: ID!) { node(id: $id) { __typename id ... on Partner { name } ... on PartnerApiKey { label } } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Partner { name } ... on PartnerApiKey { label } } }"


def _node(type_name: str, pk_of, fields_of: dict[str, str], many: bool) -> Read:
    def seen(club: Any, caller: str) -> dict[str, Any]:
        node = {"__typename": type_name, "id": gid(type_name, pk_of(club)), **fields_of}
        return {"nodes": [node]} if many else {"node": node}

    if many:
        return Read(NODES, lambda club: {"ids": [gid(type_name, pk_of(club))]}, seen, {"nodes": [None]})
    return Read(NODE, lambda club: {"id": gid(type_name, pk_of(club))}, seen, {"node": None})


READ_OPERATIONS = {
    "partners": Read(
        "{ partners { edges { node { name } } } }",
        lambda club: {},
        lambda club, caller: {"partners": {"edges": [{"node": {"name": "Maison Laurent"}}]}},
    ),
    "partner": Read(
        "query($id: ID!) { partner(id: $id) { name } }",
        lambda club: {"id": gid("Partner", club.partner.id)},
        lambda club, caller: {"partner": {"name": "Maison Laurent"}},
        {"partner": None},
    ),
    "node Partner": _node("Partner", lambda club: club.partner.id, {"name": "Maison Laurent"}, many=False),
    "nodes Partner": _node("Partner", lambda club: club.partner.id, {"name": "Maison Laurent"}, many=True),
    "node PartnerApiKey": _node("PartnerApiKey", lambda club: club.api_key.id, {"label": "POS"}, many=False),
    "nodes PartnerApiKey": _node("PartnerApiKey", lambda club: club.api_key.id, {"label": "POS"}, many=True),
    "voucherValidate": Read(
        "query($code: String!) { voucherValidate(code: $code) { voucher { code member { name } } errors { code } } }",
        lambda club: {"code": "CLUB-0001"},
        lambda club, caller: {
            "voucherValidate": {"voucher": {"code": "CLUB-0001", "member": {"name": "Mia Member"}}, "errors": []}
        },
    ),
    "settlementStatement": Read(
        "query($period: SettlementPeriodInput!, $partnerId: ID) "
        "{ settlementStatement(period: $period, partnerId: $partnerId) { partner { name } pointsRedeemed } }",
        lambda club: {
            "period": {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
            "partnerId": gid("Partner", club.partner.id),
        },
        lambda club, caller: {"settlementStatement": {"partner": {"name": "Maison Laurent"}, "pointsRedeemed": 0}},
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_partner_club(), READ_OPERATIONS[operation], operation, caller, outcome)


async def _partner_names(club: PartnerClub) -> list[str]:
    return await models.Partner.all().order_by("id").values_list("name", flat=True)


async def _partner_value(club: PartnerClub) -> str:
    return str((await models.Partner.get(id=club.partner.id)).point_value)


async def _key_labels(club: PartnerClub) -> list[tuple[str, bool]]:
    rows = await models.PartnerApiKey.filter(partner_id=club.partner.id).order_by("id")
    return [(row.label, row.revoked_at is None) for row in rows]


async def _voucher_status(club: PartnerClub) -> str:
    return str((await models.Voucher.get(id=club.voucher.id)).status)


async def _balance(club: PartnerClub) -> int:
    return (await models.Member.get(id=club.member.id)).points_balance


async def _pushed_items(club: PartnerClub) -> int:
    return await models.PartnerCatalogItem.all().count()


WRITE_OPERATIONS = {
    "partnerCreate": Write(
        mutation("partnerCreate", "partner { name }"),
        lambda club: {"name": "Atelier Neuf", "pointValue": "0.0200", "currency": "EUR"},
        lambda club: {"partner": {"name": "Atelier Neuf"}},
        {"partner": None},
        _partner_names,
        before=["Maison Laurent"],
        after=["Maison Laurent", "Atelier Neuf"],
    ),
    "partnerUpdate": Write(
        mutation("partnerUpdate", "partner { pointValue }"),
        lambda club: {"partnerId": gid("Partner", club.partner.id), "pointValue": "0.0150"},
        lambda club: {"partner": {"pointValue": "0.0150"}},
        {"partner": None},
        _partner_value,
        before="0.0100",
        after="0.0150",
    ),
    "partnerApiKeyCreate": Write(
        mutation("partnerApiKeyCreate", "apiKey { label }"),
        lambda club: {"partnerId": gid("Partner", club.partner.id), "label": "Web shop"},
        lambda club: {"apiKey": {"label": "Web shop"}},
        {"apiKey": None},
        _key_labels,
        before=[("POS", True)],
        after=[("POS", True), ("Web shop", True)],
    ),
    "partnerApiKeyRevoke": Write(
        mutation("partnerApiKeyRevoke", "apiKey { label }"),
        lambda club: {"apiKeyId": gid("PartnerApiKey", club.api_key.id)},
        lambda club: {"apiKey": {"label": "POS"}},
        {"apiKey": None},
        _key_labels,
        before=[("POS", True)],
        after=[("POS", False)],
    ),
    "voucherConsume": Write(
        mutation("voucherConsume", "voucher { code status }"),
        lambda club: {"code": "CLUB-0001", "idempotencyKey": "matrix"},
        lambda club: {"voucher": {"code": "CLUB-0001", "status": "CONSUMED"}},
        {"voucher": None},
        _voucher_status,
        before="issued",
        after="consumed",
    ),
    "partnerPointsAward": Write(
        mutation("partnerPointsAward", "award { points }"),
        lambda club: {
            "memberReference": club.member_reference,
            "points": 10,
            "purchaseReference": "R-1",
            "idempotencyKey": "matrix",
        },
        lambda club: {"award": {"points": 10}},
        {"award": None},
        _balance,
        before=100,
        after=110,
    ),
    "partnerCatalogPush": Write(
        mutation("partnerCatalogPush", "summary { itemCount }"),
        lambda club: {"items": [{"id": "a", "title": "A", "pointsPrice": 5, "category": "wine", "validityDays": 9}]},
        lambda club: {"summary": {"itemCount": 1}},
        {"summary": None},
        _pushed_items,
        before=0,
        after=1,
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_partner_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)


# --- partner-key callers --------------------------------------------------------------------


def _every_matrix_operation() -> list[Any]:
    """(name, document) of every operation of every auth matrix module, this one included."""
    from tests.test_auth_matrix import _matrix_modules

    found = []
    for module in _matrix_modules():
        for table in ("READ_OPERATIONS", "WRITE_OPERATIONS"):
            for name, operation in getattr(module, table, {}).items():
                if name != "me" and name.split()[0] in PARTNER_FIELDS:
                    continue  # the partner API itself: tests/test_partner_isolation.py
                found.append(pytest.param(name, operation.document, id=f"{module.__name__.split('.')[-1]}: {name}"))
    return found


@pytest.mark.parametrize(("operation", "document"), _every_matrix_operation())
async def test_a_partner_key_is_refused_every_operation_but_me_and_the_partner_api(client, operation, document):
    # given: the partner's own objects too: a partner sees itself through `me`, nothing else
    club = await make_partner_club()
    field = operation.split()[0]
    # when
    result = await partner_gql(client, document, {}, key=club.key)
    # then
    if field == "me":
        assert result == {"data": {"me": {"__typename": "Partner"}}}
    else:
        assert result == refused(field, "FORBIDDEN", f"A partner's API key may not use `{field}`")
    assert await _key_labels(club) == [("POS", True)]
    assert await _partner_names(club) == ["Maison Laurent"]
