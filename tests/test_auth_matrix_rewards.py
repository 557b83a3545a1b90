"""The auth matrix of rewards: the catalog is public, the club's own rewards are managed by reward managers.

Written out by hand from domain/policy.py read as the spec: REWARD_MANAGE belongs to partner managers,
club managers and administrators. `rewards`, `reward` and node Reward are public club information,
for anyone but a partner's API key (schema/partners/guard.py).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from domain import models
from tests.auth_matrix import (
    ADMINISTRATOR,
    CALLERS,
    CLUB_MANAGER,
    FORBID,
    OK,
    PARTNER_MANAGER,
    THE_MEMBER,
    UNAUTH,
    Club,
    Write,
    cases,
    check_write,
    make_club,
    mutation,
)
from tests.factories import gid, gql, make_api_key, make_partner, make_pushed_item, make_reward, partner_gql, refused

PUBLIC_FIELDS = ("rewards", "reward")
PUBLIC_NODE_TYPES = ("Reward",)

READS: dict[str, tuple[str, ...]] = {}  # nothing to read that is not public

# fmt: off
WRITES = {
    #                   anonymous other    the     front   own     other   event   partner club    admin
    #                             member   member  desk    manager manager manager manager manager
    "rewardCreate":    (UNAUTH,   FORBID,  FORBID, FORBID, FORBID, FORBID, FORBID, OK,     OK,     OK),
    "rewardUpdate":    (UNAUTH,   FORBID,  FORBID, FORBID, FORBID, FORBID, FORBID, OK,     OK,     OK),
}
# fmt: on


@dataclass
class RewardClub(Club):
    reward: models.Reward
    partner: models.Partner


async def make_reward_club() -> RewardClub:
    club = await make_club()
    partner = await make_partner("Cellier Marceau")
    await make_pushed_item(partner, "chablis", 2_600, title="Chablis")
    return RewardClub(
        **{field.name: getattr(club, field.name) for field in fields(Club)},
        reward=await make_reward("Club scarf", 800),
        partner=partner,
    )


async def _titles(club: RewardClub) -> list[str]:
    return await models.Reward.all().order_by("id").values_list("title", flat=True)


WRITE_OPERATIONS = {
    "rewardCreate": Write(
        mutation("rewardCreate", "reward { title }"),
        lambda club: {"title": "Matrix mug", "pointsPrice": 300, "category": "merchandise"},
        lambda club: {"reward": {"title": "Matrix mug"}},
        {"reward": None},
        _titles,
        before=["Club scarf"],
        after=["Club scarf", "Matrix mug"],
    ),
    "rewardUpdate": Write(
        mutation("rewardUpdate", "reward { title }"),
        lambda club: {"rewardId": gid("Reward", f"club:{club.reward.id}"), "title": "Club scarf, blue"},
        lambda club: {"reward": {"title": "Club scarf, blue"}},
        {"reward": None},
        _titles,
        before=["Club scarf"],
        after=["Club scarf, blue"],
    ),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(WRITES))
async def test_write(client, operation, caller, outcome):
    await check_write(client, await make_reward_club(), WRITE_OPERATIONS[operation], operation, caller, outcome)


CATALOG = """query($id: ID!) {
  rewards { edges { node { title partnerName } } }
  reward(id: $id) { title }
  node(id: $id) { ... on Reward { title } }
}"""


@pytest.mark.parametrize("caller", CALLERS)
async def test_everyone_may_read_the_catalog(client, caller):
    # given
    club = await make_reward_club()
    # when
    result = await gql(client, CATALOG, {"id": gid("Reward", f"club:{club.reward.id}")}, token=club.token(caller))
    # then
    assert result == {"data": {
        "rewards": {"edges": [
            {"node": {"title": "Club scarf", "partnerName": None}},
            {"node": {"title": "Chablis", "partnerName": "Cellier Marceau"}},
        ]},
        "reward": {"title": "Club scarf"},
        "node": {"title": "Club scarf"},
    }}


@pytest.mark.parametrize("field", ["rewards", "reward"])
async def test_a_partner_key_may_not_read_the_catalog(client, field):
    # given
    club = await make_reward_club()
    _, key = await make_api_key(club.partner)
    document = {"rewards": "{ rewards { edges { node { title } } } }", "reward": '{ reward(id: "x") { title } }'}[field]
    # when
    result = await partner_gql(client, document, key=key)
    # then
    assert result == refused(field, "FORBIDDEN", f"A partner's API key may not use `{field}`")


async def test_the_member_sees_eligibility_and_staff_do_not(client):
    # given
    club = await make_reward_club()
    document = "{ rewards { edges { node { eligibleForMe } } } }"
    # when
    member = await gql(client, document, token=club.token(THE_MEMBER))
    manager = await gql(client, document, token=club.token(CLUB_MANAGER))
    # then
    assert member == {"data": {"rewards": {"edges": [{"node": {"eligibleForMe": True}}] * 2}}}
    assert manager == {"data": {"rewards": {"edges": [{"node": {"eligibleForMe": None}}] * 2}}}


