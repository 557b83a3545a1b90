"""Member.partnerReference: the reference a member shows at a partner's counter, for the member alone."""

import pytest

from domain import models
from tests.factories import gid, gql, make_member, make_partner, make_staff, member_token, staff_token

REFERENCE = """
query($id: ID!, $partnerId: ID!) { member(id: $id) { partnerReference(partnerId: $partnerId) } }
"""


async def test_the_member_gets_one_stable_reference_per_partner(client):
    # given
    wine, spa = await make_partner("Maison Laurent"), await make_partner("Spa Lumen")
    member = await make_member()
    token = member_token(member)

    async def reference(partner: models.Partner) -> str:
        variables = {"id": gid("Member", member.id), "partnerId": gid("Partner", partner.id)}
        return (await gql(client, REFERENCE, variables, token=token))["data"]["member"]["partnerReference"]

    # when
    first, again, other = await reference(wine), await reference(wine), await reference(spa)
    # then
    assert first == again != other
    assert first.startswith("mbr_") and len(first) == 24
    stored = await models.PartnerMemberReference.filter(member_id=member.id).order_by("partner_id")
    assert [(row.partner_id, row.reference) for row in stored] == [(wine.id, first), (spa.id, other)]


@pytest.mark.parametrize("caller", ["front desk", "club manager"])
async def test_staff_who_see_the_member_get_null_and_no_reference_is_made(client, caller):
    # given
    partner = await make_partner()
    member = await make_member()
    role = {"front desk": models.StaffRole.FRONT_DESK, "club manager": models.StaffRole.CLUB_MANAGER}[caller]
    token = staff_token(await make_staff(role))
    # when
    result = await gql(
        client, REFERENCE, {"id": gid("Member", member.id), "partnerId": gid("Partner", partner.id)}, token=token
    )
    # then
    assert result == {"data": {"member": {"partnerReference": None}}}
    assert await models.PartnerMemberReference.all().count() == 0


async def test_an_unknown_or_suspended_partner_gives_null(client):
    # given
    suspended = await make_partner("Closed Shop", status=models.PartnerStatus.SUSPENDED)
    member = await make_member()
    token = member_token(member)
    # when
    results = [
        await gql(client, REFERENCE, {"id": gid("Member", member.id), "partnerId": partner_id}, token=token)
        for partner_id in (gid("Partner", suspended.id), gid("Partner", suspended.id + 1), gid("Member", member.id))
    ]
    # then
    assert results == [{"data": {"member": {"partnerReference": None}}}] * 3
    assert await models.PartnerMemberReference.all().count() == 0
