"""Member and tier rules called directly with a Viewer, without HTTP."""

from datetime import date

import pytest

from domain import models
from domain.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from domain.members import (
    add_preference,
    assign_account_manager,
    create_member,
    get_member_for_viewer,
    member_for_write,
    member_query,
    remove_preference,
    set_consent,
    update_member,
)
from domain.policy import Permission
from domain.tiers import set_tier
from domain.viewer import ANONYMOUS, member_viewer, staff_viewer
from tests.factories import make_member, make_preference, make_staff, make_tiers


def as_staff(staff: models.Staff):
    return staff_viewer(staff.id, staff.role)


def refusal(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, str | None, str]:
    return error.value.code, error.value.field, error.value.message


async def test_create_member_refuses_an_email_registered_in_another_case():
    # given
    await make_tiers()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    await make_member(email="anna@example.com")
    # when
    with pytest.raises(DomainError) as error:
        await create_member(viewer=as_staff(desk), name="Anna", email="ANNA@Example.com")
    # then
    assert refusal(error) == ("EMAIL_TAKEN", "email", "This email address is already registered")
    assert await models.Member.all().count() == 1


async def test_create_member_normalises_contacts_and_records_the_enrolment():
    # given
    tiers = await make_tiers()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    member = await create_member(
        viewer=as_staff(desk),
        name=" 林婉清 ",
        email=" Lin@Example.com ",
        phone="+41 (0)44 555 12 34",
        joined_on=date(2024, 3, 1),
    )
    # then
    row = await models.Member.get(id=member.id)
    assert (row.name, row.email, row.phone, row.joined_on, row.tier_id) == (
        "林婉清",
        "lin@example.com",
        "+41445551234",
        date(2024, 3, 1),
        tiers["Silver"].id,
    )
    assert await models.TierChange.filter(member_id=member.id).values_list(
        "from_tier_id", "to_tier_id", "source", "reason", "changed_by_id"
    ) == [(None, tiers["Silver"].id, models.TierChangeSource.ENROLMENT, "Enrolment", desk.id)]


async def test_create_member_checks_the_birthday_against_the_join_date():
    # given
    await make_tiers()
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    # when
    with pytest.raises(DomainError) as error:
        await create_member(
            viewer=as_staff(desk),
            name="Anna",
            email="anna@example.com",
            birthday=date(2024, 3, 2),
            joined_on=date(2024, 3, 1),
        )
    # then
    assert refusal(error) == ("INVALID", "birthday", "Enter a birthday between 1900 and today")
    assert await models.Member.all().count() == 0


@pytest.mark.parametrize(("caller", "refused"), [("anonymous", NotAuthenticated), ("member", PermissionDenied)])
async def test_create_member_is_for_staff(caller, refused):
    # given
    member = await make_member()
    viewer = ANONYMOUS if caller == "anonymous" else member_viewer(member.id)
    # when
    with pytest.raises(refused):
        await create_member(viewer=viewer, name="Anna", email="anna@example.com")
    # then
    assert await models.Member.all().count() == 1


async def test_set_tier_records_from_to_reason_and_author():
    # given
    tiers = await make_tiers()
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member(tier=tiers["Gold"])
    # when
    changed = await set_tier(
        viewer=as_staff(boss), member_id=member.id, tier_id=tiers["Silver"].id, reason="Asked to step down"
    )
    # then
    assert changed.tier_id == tiers["Silver"].id
    assert (await models.Member.get(id=member.id)).tier_id == tiers["Silver"].id
    assert await models.TierChange.filter(member_id=member.id).values_list(
        "from_tier_id", "to_tier_id", "source", "reason", "changed_by_id"
    ) == [(tiers["Gold"].id, tiers["Silver"].id, models.TierChangeSource.MANUAL, "Asked to step down", boss.id)]


async def test_set_tier_to_the_current_tier_records_nothing():
    # given
    tiers = await make_tiers()
    boss = await make_staff(models.StaffRole.ADMINISTRATOR)
    member = await make_member(tier=tiers["Gold"])
    # when
    with pytest.raises(DomainError) as error:
        await set_tier(viewer=as_staff(boss), member_id=member.id, tier_id=tiers["Gold"].id, reason="Again")
    # then
    assert refusal(error) == ("UNCHANGED", "tierId", "The member is already in Gold")
    assert await models.TierChange.all().count() == 0


async def test_account_manager_writes_only_the_records_of_own_members():
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    own = await make_member(account_manager_id=manager.id)
    someone_elses = await make_member(account_manager_id=(await make_staff(models.StaffRole.ACCOUNT_MANAGER)).id)
    unassigned = await make_member()
    # when
    allowed = await member_for_write(
        viewer=as_staff(manager), member_id=own.id, permission=Permission.MEMBER_UPDATE, allow_self=True
    )
    # then
    assert allowed.id == own.id
    for member in (someone_elses, unassigned):
        with pytest.raises(PermissionDenied, match="Only the member's own account manager may change this record"):
            await member_for_write(
                viewer=as_staff(manager), member_id=member.id, permission=Permission.MEMBER_UPDATE, allow_self=True
            )


async def test_account_manager_cannot_edit_a_member_of_someone_else():
    # given
    manager = await make_staff(models.StaffRole.ACCOUNT_MANAGER)
    member = await make_member(name="Anna", account_manager_id=(await make_staff(models.StaffRole.ACCOUNT_MANAGER)).id)
    # when
    with pytest.raises(PermissionDenied):
        await update_member(viewer=as_staff(manager), member_id=member.id, changes={"name": "Changed"})
    # then
    assert (await models.Member.get(id=member.id)).name == "Anna"


async def test_a_member_writes_only_their_own_record_and_only_where_allowed():
    # given
    member = await make_member()
    other = await make_member()
    viewer = member_viewer(member.id)
    # when
    own = await member_for_write(
        viewer=viewer, member_id=member.id, permission=Permission.MEMBER_UPDATE, allow_self=True
    )
    # then
    assert own.id == member.id
    for member_id, allow_self in ((other.id, True), (member.id, False)):
        with pytest.raises(NotFound) as error:
            await member_for_write(
                viewer=viewer, member_id=member_id, permission=Permission.MEMBER_UPDATE, allow_self=allow_self
            )
        assert refusal(error) == ("NOT_FOUND", "memberId", "Member not found")


async def test_staff_without_the_permission_are_refused_before_the_member_is_looked_up():
    # given
    desk = await make_staff(models.StaffRole.FRONT_DESK)
    gone = await make_member()
    await gone.delete()
    # when / then
    with pytest.raises(PermissionDenied):
        await member_for_write(
            viewer=as_staff(desk), member_id=gone.id, permission=Permission.MEMBER_UPDATE, allow_self=True
        )
    with pytest.raises(NotAuthenticated):
        await member_for_write(
            viewer=ANONYMOUS, member_id=gone.id, permission=Permission.MEMBER_UPDATE, allow_self=True
        )


async def test_update_member_keeps_members_to_their_contact_fields():
    # given
    member = await make_member(name="Anna")
    # when
    with pytest.raises(DomainError) as error:
        await update_member(
            viewer=member_viewer(member.id),
            member_id=member.id,
            changes={"phone": "+41445551234", "name": "Queen Anna"},
        )
    # then
    assert refusal(error) == ("NOT_EDITABLE", "name", "You cannot change this field")
    assert (await models.Member.get(id=member.id)).name == "Anna"


async def test_members_keep_no_private_notes_and_cannot_remove_staff_ones():
    # given
    member = await make_member()
    note = await make_preference(member, value="Difficult guest", is_private=True)
    viewer = member_viewer(member.id)
    # when
    with pytest.raises(DomainError) as adding:
        await add_preference(
            viewer=viewer, member_id=member.id, category=models.PreferenceCategory.NOTE, value="x", is_private=True
        )
    with pytest.raises(NotFound) as removing:
        await remove_preference(viewer=viewer, preference_id=note.id)
    # then
    assert refusal(adding) == ("NOT_EDITABLE", "isPrivate", "Only staff keep private notes")
    assert refusal(removing) == ("NOT_FOUND", "preferenceId", "Preference not found")
    assert await models.MemberPreference.all().values_list("id", flat=True) == [note.id]


async def test_staff_record_consent_with_the_staff_source_whatever_they_pass():
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    member = await make_member()
    # when
    consent = await set_consent(
        viewer=as_staff(boss),
        member_id=member.id,
        purpose=models.ConsentPurpose.MARKETING,
        granted=True,
        source=models.ConsentSource.MOBILE,
    )
    # then
    assert (await models.Consent.get(id=consent.id)).source == models.ConsentSource.STAFF


async def test_assign_account_manager_refuses_an_inactive_one():
    # given
    boss = await make_staff(models.StaffRole.CLUB_MANAGER)
    retired = await make_staff(models.StaffRole.ACCOUNT_MANAGER, is_active=False)
    member = await make_member()
    # when
    with pytest.raises(DomainError) as error:
        await assign_account_manager(viewer=as_staff(boss), member_id=member.id, account_manager_id=retired.id)
    # then
    assert refusal(error) == (
        "NOT_AN_ACCOUNT_MANAGER",
        "accountManagerId",
        "This staff member is not an active account manager",
    )
    assert (await models.Member.get(id=member.id)).account_manager_id is None


async def test_member_query_filters_and_is_for_staff_who_read_members():
    # given
    tiers = await make_tiers()
    events = await make_staff(models.StaffRole.EVENT_MANAGER)
    await make_member(name="林婉清", tier=tiers["Gold"])
    await make_member(name="林小明", tier=tiers["Silver"])
    await make_member(name="Anna", tier=tiers["Gold"])
    # when
    found = await member_query(viewer=as_staff(events), search="林", tier_id=tiers["Gold"].id).values_list(
        "name", flat=True
    )
    # then
    assert found == ["林婉清"]
    with pytest.raises(PermissionDenied):
        member_query(viewer=as_staff(await make_staff(models.StaffRole.PARTNER_MANAGER)))


async def test_get_member_for_viewer_hides_other_members():
    # given
    member = await make_member()
    other = await make_member()
    # when
    own = await get_member_for_viewer(viewer=member_viewer(member.id), member_id=member.id)
    hidden = await get_member_for_viewer(viewer=member_viewer(member.id), member_id=other.id)
    # then
    assert (own.id, hidden) == (member.id, None)
