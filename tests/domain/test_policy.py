"""Who may do what: the staff permission table, deny by default, and the account manager's scope."""

import pytest

from domain.errors import NotAuthenticated, PermissionDenied
from domain.models import StaffRole
from domain.policy import Permission, has_permission, may_read_member, may_write_member, require_permission
from domain.viewer import ANONYMOUS, member_viewer, partner_viewer, staff_viewer

P = Permission
EXPECTED = {
    StaffRole.FRONT_DESK: {
        P.MEMBER_READ,
        P.MEMBER_CREATE,
        P.MEMBER_PREFERENCE_WRITE,
        P.STAFF_READ,
        P.BENEFIT_USE,
        P.PURCHASE_RECORD,
        P.EVENT_REGISTER,
        P.EVENT_CHECK_IN,
        P.EVENT_ATTENDEES_READ,
        P.INTERACTION_RECORD,
        P.TICKET_CREATE,
        P.VOUCHER_CONSUME,
    },
    StaffRole.ACCOUNT_MANAGER: {
        P.MEMBER_READ,
        P.MEMBER_CREATE,
        P.MEMBER_UPDATE,
        P.MEMBER_PREFERENCE_WRITE,
        P.MEMBER_IMPORTANT_DATE_WRITE,
        P.MEMBER_CONSENT_WRITE,
        P.STAFF_READ,
        P.BENEFIT_USE,
        P.PURCHASE_RECORD,
        P.PURCHASE_REFUND,
        P.POINTS_ADJUST,
        P.EVENT_REGISTER,
        P.INTERACTION_RECORD,
        P.CARE_READ,
        P.TASK_WRITE,
        P.TICKET_CREATE,
        P.TICKET_MANAGE,
        P.FEEDBACK_READ,
    },
    StaffRole.EVENT_MANAGER: {
        P.MEMBER_READ,
        P.STAFF_READ,
        P.EVENT_MANAGE,
        P.EVENT_REGISTER,
        P.EVENT_CHECK_IN,
        P.EVENT_ATTENDEES_READ,
        P.SURVEY_MANAGE,
        P.FEEDBACK_READ,
    },
    StaffRole.PARTNER_MANAGER: {P.STAFF_READ, P.PARTNER_MANAGE, P.REWARD_MANAGE},
    StaffRole.CLUB_MANAGER: set(Permission),
    StaffRole.ADMINISTRATOR: set(Permission),
}
STAFF_ID = 7
OWN_MEMBER_ID = 11


@pytest.mark.parametrize("role", list(StaffRole))
def test_each_role_holds_exactly_its_permissions(role):
    viewer = staff_viewer(STAFF_ID, role)
    assert {permission for permission in Permission if has_permission(viewer, permission)} == EXPECTED[role]


@pytest.mark.parametrize(
    "viewer",
    [ANONYMOUS, member_viewer(OWN_MEMBER_ID), partner_viewer(STAFF_ID)],
    ids=["anonymous", "member", "partner"],
)
def test_no_staff_permission_without_a_staff_role(viewer):
    assert [permission for permission in Permission if has_permission(viewer, permission)] == []


@pytest.mark.parametrize(
    ("viewer", "refusal", "message"),
    [
        (ANONYMOUS, NotAuthenticated, "Sign in to do this"),
        (member_viewer(OWN_MEMBER_ID), PermissionDenied, "You are not allowed to do this"),
        (staff_viewer(STAFF_ID, StaffRole.PARTNER_MANAGER), PermissionDenied, "You are not allowed to do this"),
        (partner_viewer(STAFF_ID), PermissionDenied, "You are not allowed to do this"),
    ],
    ids=["anonymous", "member", "partner manager", "partner"],
)
def test_require_permission_refuses_with_the_right_error(viewer, refusal, message):
    with pytest.raises(refusal) as error:
        require_permission(viewer, Permission.MEMBER_READ)
    assert type(error.value) is refusal
    assert error.value.message == message


def test_require_permission_lets_an_allowed_role_through():
    assert require_permission(staff_viewer(STAFF_ID, StaffRole.EVENT_MANAGER), Permission.MEMBER_READ) is None


@pytest.mark.parametrize(
    ("role", "permission", "account_manager_id", "allowed"),
    [
        (StaffRole.ACCOUNT_MANAGER, P.MEMBER_UPDATE, STAFF_ID, True),
        (StaffRole.ACCOUNT_MANAGER, P.MEMBER_UPDATE, STAFF_ID + 1, False),
        (StaffRole.ACCOUNT_MANAGER, P.MEMBER_UPDATE, None, False),
        (StaffRole.ACCOUNT_MANAGER, P.MEMBER_SET_TIER, STAFF_ID, False),
        (StaffRole.FRONT_DESK, P.MEMBER_PREFERENCE_WRITE, None, True),
        (StaffRole.FRONT_DESK, P.MEMBER_UPDATE, None, False),
        (StaffRole.CLUB_MANAGER, P.MEMBER_UPDATE, STAFF_ID + 1, True),
        (StaffRole.ADMINISTRATOR, P.MEMBER_SET_TIER, None, True),
    ],
)
def test_may_write_member_checks_the_role_and_the_account_managers_scope(role, permission, account_manager_id, allowed):
    viewer = staff_viewer(STAFF_ID, role)
    assert may_write_member(viewer, permission, account_manager_id=account_manager_id) is allowed


@pytest.mark.parametrize(
    ("viewer", "allowed"),
    [
        (member_viewer(OWN_MEMBER_ID), True),
        (member_viewer(OWN_MEMBER_ID + 1), False),
        (ANONYMOUS, False),
        (staff_viewer(STAFF_ID, StaffRole.EVENT_MANAGER), True),
        (staff_viewer(STAFF_ID, StaffRole.PARTNER_MANAGER), False),
        # A partner whose id happens to be the member's is still not that member.
        (partner_viewer(OWN_MEMBER_ID), False),
    ],
    ids=["self", "another member", "anonymous", "event manager", "partner manager", "partner"],
)
def test_may_read_member_lets_members_see_themselves_and_reading_staff_see_all(viewer, allowed):
    assert may_read_member(viewer, OWN_MEMBER_ID) is allowed


def test_a_partner_is_neither_a_member_nor_staff_and_writes_no_member_in_scope():
    viewer = partner_viewer(OWN_MEMBER_ID)
    assert (viewer.is_anonymous, viewer.is_member, viewer.is_staff, viewer.is_partner) == (False, False, False, True)
    assert viewer.is_member_self(OWN_MEMBER_ID) is False
    assert may_write_member(viewer, P.MEMBER_UPDATE, account_manager_id=None) is False
