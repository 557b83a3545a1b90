"""The auth matrix of redemptions: rewardRedeem, the Redemption and Voucher nodes, Member.redemptions/vouchers.

Written out by hand from the rules: a member redeems for themselves only (staff do not redeem on a
member's behalf); redemptions and vouchers are the member's own and visible to staff with
MEMBER_READ within their scope (account managers: their own members only); never to partners.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timezone

import pytest

from domain import models
from domain.viewer import member_viewer
from partners import redemption
from tests.auth_matrix import (
    ADMINISTRATOR,
    CLUB_MANAGER,
    EVENT_MANAGER,
    FORBID,
    FRONT_DESK,
    NULL,
    OK,
    OTHER_MEMBER,
    OWN_MANAGER,
    OTHER_MANAGER,
    THE_MEMBER,
    UNAUTH,
    Club,
    Write,
    cases,
    check_read,
    check_write,
    make_club,
    mutation,
    node_read,
    nodes_read,
)
from tests.factories import gid, gql, make_api_key, make_club_reward, make_earning, make_partner, make_voucher, partner_gql, reward_gid

PUBLIC_FIELDS = ()
PUBLIC_NODE_TYPES = ()

# fmt: off
READS = {
    #                        anonymous other   the     front   own     other     event   partner club    admin
    #                                  member  member  desk    manager manager   manager manager manager
    "node Redemption":      (NULL,     NULL,   OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
    "nodes Redemption":     (NULL,     NULL,   OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
    "node Voucher":         (NULL,     NULL,   OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
    "nodes Voucher":        (NULL,     NULL,   OK,     OK,     OK,     NULL,     OK,     NULL,   OK,     OK),
}

# Another member redeems too: for themselves (there is no member to name), so it is allowed.
WRITES = {
    #                        anonymous other   the     front   own     other     event   partner club    admin
    #                                  member  member  desk    manager manager   manager manager manager
    "rewardRedeem":         (UNAUTH,   OK,     OK,     FORBID, FORBID, FORBID,   FORBID, FORBID, FORBID, FORBID),
}
# fmt: on


@dataclass
class RedemptionClub(Club):
    """The club, with a reward and one completed redemption of the member's."""

    reward: models.Reward
    redemption: models.Redemption
    voucher: models.Voucher


async def make_redemption_club() -> RedemptionClub:
    club = await make_club()
    for member in (club.member, club.other_member):
        await make_earning(member, 1_000, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    reward = await make_club_reward("Cellar tour", points_price=100, stock=10)
    done = await redemption.redeem(
        viewer=member_viewer(club.member.id), reward_key=f"club:{reward.id}", quantity=1,
        idempotency_key="first", items=None, client=None,
    )
    return RedemptionClub(
        **{field.name: getattr(club, field.name) for field in fields(Club)},
        reward=reward,
        redemption=done,
        voucher=await models.Voucher.get(redemption_id=done.id),
    )


READ_OPERATIONS = {
    "node Redemption": node_read("Redemption", lambda club: (club.redemption.id, {})),
    "nodes Redemption": nodes_read("Redemption", lambda club: (club.redemption.id, {})),
    "node Voucher": node_read("Voucher", lambda club: (club.voucher.id, {})),
    "nodes Voucher": nodes_read("Voucher", lambda club: (club.voucher.id, {})),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_redemption_club(), READ_OPERATIONS[operation], operation, caller, outcome)


async def _redemptions(club: RedemptionClub) -> int:
    return await models.Redemption.all().count()


WRITE_OPERATIONS = {
    "rewardRedeem": Write(
        mutation("rewardRedeem", "redemption { status quantity points }"),
        lambda club: {"rewardId": reward_gid(f"club:{club.reward.id}"), "quantity": 2, "idempotencyKey": "matrix"},
        lambda club: {"redemption": {"status": "COMPLETED", "quantity": 2, "points": 200}},
        {"redemption": None},
        _redemptions,
        before=1,
        after=2,
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_redemption_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)


MEMBER_LISTS = """query($id: ID!) { member(id: $id) {
  redemptions { edges { node { id } } } vouchers { edges { node { id } } } } }"""
MY_LISTS = "{ me { ... on Member { redemptions { edges { node { id } } } vouchers { edges { node { id } } } } } }"


@pytest.mark.parametrize(
    ("caller", "sees"),
    [
        (FRONT_DESK, True),
        (OWN_MANAGER, True),
        (OTHER_MANAGER, False),
        (EVENT_MANAGER, True),
        (CLUB_MANAGER, True),
        (ADMINISTRATOR, True),
    ],
)
async def test_a_members_lists_are_for_staff_who_read_them_in_scope(client, caller, sees):
    # given
    club = await make_redemption_club()
    # when
    result = await gql(client, MEMBER_LISTS, {"id": gid("Member", club.member.id)}, token=club.token(caller))
    # then
    lists = {
        "redemptions": {"edges": [{"node": {"id": gid("Redemption", club.redemption.id)}}]},
        "vouchers": {"edges": [{"node": {"id": gid("Voucher", club.voucher.id)}}]},
    }
    assert result == {"data": {"member": lists if sees else {"redemptions": None, "vouchers": None}}}


@pytest.mark.parametrize(("caller", "count"), [(THE_MEMBER, 1), (OTHER_MEMBER, 0)])
async def test_a_member_sees_their_own_lists_through_me(client, caller, count):
    # given
    club = await make_redemption_club()
    # when
    result = await gql(client, MY_LISTS, token=club.token(caller))
    # then
    redemptions = [{"node": {"id": gid("Redemption", club.redemption.id)}}][:count]
    vouchers = [{"node": {"id": gid("Voucher", club.voucher.id)}}][:count]
    assert result == {"data": {"me": {"redemptions": {"edges": redemptions}, "vouchers": {"edges": vouchers}}}}


@pytest.mark.parametrize(
    "document",
    [
        'query($id: ID!) { node(id: $id) { id } }',
        'mutation { rewardRedeem(input: {rewardId: "x", idempotencyKey: "k"}) { errors { code } } }',
    ],
)
async def test_a_partner_key_reads_no_redemption_and_redeems_nothing(client, document):
    # given
    club = await make_redemption_club()
    partner = await make_partner()
    _, key = await make_api_key(partner)
    # when
    result = await partner_gql(client, document, {"id": gid("Redemption", club.redemption.id)}, key=key)
    # then
    assert result["data"] is None
    assert [error["extensions"]["code"] for error in result["errors"]] == ["FORBIDDEN"]
    assert await models.Redemption.all().count() == 1


CODES = """query($member: ID!, $voucher: ID!) {
  member(id: $member) {
    vouchers { edges { node { code fulfilmentId } } }
    redemptions { edges { node { voucher { code } } } }
  }
  node(id: $voucher) { ... on Voucher { code } }
}"""


@pytest.mark.parametrize(
    ("caller", "masked"),
    [
        (THE_MEMBER, False),
        (FRONT_DESK, True),
        (OWN_MANAGER, True),
        (EVENT_MANAGER, True),
        (CLUB_MANAGER, True),
        (ADMINISTRATOR, True),
    ],
)
async def test_only_the_member_reads_a_voucher_code_in_full(client, caller, masked):
    # given: a club voucher, e.g. CLUB-7KQ2-XM9D-4TRA
    club = await make_redemption_club()
    code = club.voucher.code
    assert code is not None and re.fullmatch(r"CLUB-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    variables = {"member": gid("Member", club.member.id), "voucher": gid("Voucher", club.voucher.id)}
    # when
    result = await gql(client, CODES, variables, token=club.token(caller))
    # then: staff see the prefix and the last 4 only, enough to match the code the member shows
    seen = f"CLUB-****-****-{code[-4:]}" if masked else code
    assert result == {
        "data": {
            "member": {
                "vouchers": {"edges": [{"node": {"code": seen, "fulfilmentId": None}}]},
                "redemptions": {"edges": [{"node": {"voucher": {"code": seen}}}]},
            },
            "node": {"code": seen},
        }
    }


async def test_staff_read_a_partners_fulfilment_id_in_full(client):
    # given: a partner's shipped reward, with an order reference instead of a code
    club = await make_redemption_club()
    partner = await make_partner("Maison Laurent")
    shipped = await make_voucher(club.member, partner, title="Case of Barolo")
    await models.Voucher.filter(id=shipped.id).update(code=None, fulfilment_id="ML-F3A9C2D4E5F6")
    # when
    result = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Voucher { code fulfilmentId } } }",
        {"id": gid("Voucher", shipped.id)}, token=club.token(FRONT_DESK),
    )
    # then
    assert result == {"data": {"node": {"code": None, "fulfilmentId": "ML-F3A9C2D4E5F6"}}}
