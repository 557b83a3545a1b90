"""Partner registry rules called directly: key authentication, rotation, and partners writing no member."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain import models, partners
from domain.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.members import member_for_write
from domain.policy import Permission
from domain.viewer import ANONYMOUS, partner_viewer, staff_viewer
from tests.factories import make_api_key, make_member, make_partner, make_staff

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


async def _manager():
    staff = await make_staff(models.StaffRole.PARTNER_MANAGER)
    return staff_viewer(staff.id, staff.role)


async def test_authenticate_gives_the_partner_and_notes_the_use_at_most_once_a_minute():
    # given
    partner = await make_partner()
    api_key, key = await make_api_key(partner)
    # when
    first = await partners.authenticate(key, now=NOON)
    again = await partners.authenticate(key, now=NOON + timedelta(seconds=59))
    noted_after_59_seconds = (await models.PartnerApiKey.get(id=api_key.id)).last_used_at
    later = await partners.authenticate(key, now=NOON + timedelta(seconds=60))
    # then
    assert (first.id, again.id, later.id) == (partner.id, partner.id, partner.id)
    assert noted_after_59_seconds == NOON
    assert (await models.PartnerApiKey.get(id=api_key.id)).last_used_at == NOON + timedelta(seconds=60)


@pytest.mark.parametrize("key", ["", ".", "pk_abc", "pk_abc.", "nope.secret", "pk_" + "a" * 40 + ".secret"])
async def test_authenticate_refuses_malformed_keys(key):
    await make_api_key(await make_partner())
    assert await partners.authenticate(key) is None


async def test_a_revoked_key_or_a_suspended_partner_does_not_authenticate():
    # given
    manager = await _manager()
    partner = await make_partner()
    api_key, key = await make_api_key(partner)
    other = await make_partner("Other")
    _, other_key = await make_api_key(other)
    # when
    await partners.revoke_api_key(viewer=manager, api_key_id=api_key.id, now=NOON)
    await partners.update_partner(viewer=manager, partner_id=other.id, changes={"status": models.PartnerStatus.SUSPENDED})
    # then
    assert await partners.authenticate(key) is None
    assert await partners.authenticate(other_key) is None
    assert (await models.PartnerApiKey.get(id=api_key.id)).revoked_at == NOON


async def test_rotation_allows_two_live_keys_then_asks_to_revoke_one():
    # given
    manager = await _manager()
    partner = await make_partner()
    old, old_key = await partners.create_api_key(viewer=manager, partner_id=partner.id, label="old")
    new, new_key = await partners.create_api_key(viewer=manager, partner_id=partner.id, label="new")
    # when
    with pytest.raises(DomainError) as refusal:
        await partners.create_api_key(viewer=manager, partner_id=partner.id, label="third")
    await partners.revoke_api_key(viewer=manager, api_key_id=old.id)
    third, _ = await partners.create_api_key(viewer=manager, partner_id=partner.id, label="third")
    # then
    assert (refusal.value.code, refusal.value.field) == ("TOO_MANY_KEYS", "partnerId")
    assert await partners.authenticate(old_key) is None
    assert (await partners.authenticate(new_key)).id == partner.id
    assert third.label == "third" and old_key != new_key


@pytest.mark.parametrize(("caller", "refusal"), [("anonymous", NotAuthenticated), ("the partner", PermissionDenied)])
async def test_the_registry_is_not_for_partners_nor_anonymous_callers(caller, refusal):
    # given
    partner = await make_partner()
    viewer = ANONYMOUS if caller == "anonymous" else partner_viewer(partner.id)
    # when / then
    with pytest.raises(refusal):
        await partners.create_api_key(viewer=viewer, partner_id=partner.id, label="mine")
    with pytest.raises(refusal):
        await partners.update_partner(viewer=viewer, partner_id=partner.id, changes={"status": "active"})
    assert await models.PartnerApiKey.all().count() == 0


async def test_a_partner_writes_no_member_record_even_with_the_same_id():
    # given
    member = await make_member()
    viewer = partner_viewer(member.id)
    # when / then
    with pytest.raises(PermissionDenied) as refusal:
        await member_for_write(viewer=viewer, member_id=member.id, permission=Permission.MEMBER_UPDATE, allow_self=True)
    assert type(refusal.value) is PermissionDenied


async def test_authenticating_again_within_the_minute_costs_one_read_and_no_write(sql):
    # given
    partner = await make_partner()
    _, key = await make_api_key(partner)
    await partners.authenticate(key, now=NOON)
    sql.statements.clear()
    # when
    found = await partners.authenticate(key, now=NOON + timedelta(seconds=30))
    # then
    assert found.id == partner.id
    assert len(sql.statements) == 1 and sql.statements[0].lstrip().upper().startswith("SELECT"), sql.statements
