"""Who may do what: the staff permission table, kept as data in one place, deny by default.

Members act on their own record only; those rules live beside the actions in the domain
modules. Staff act by role; an account manager writes only the records of their own members.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import NotAuthenticated, PermissionDenied
from domain.models import StaffRole
from domain.viewer import Viewer


class Permission(StrEnum):
    MEMBER_READ = "member_read"
    MEMBER_CREATE = "member_create"
    MEMBER_UPDATE = "member_update"
    MEMBER_PREFERENCE_WRITE = "member_preference_write"
    MEMBER_IMPORTANT_DATE_WRITE = "member_important_date_write"
    MEMBER_CONSENT_WRITE = "member_consent_write"
    MEMBER_ASSIGN_ACCOUNT_MANAGER = "member_assign_account_manager"
    MEMBER_SET_TIER = "member_set_tier"
    MEMBER_EXPORT = "member_export"  # export everything the club holds about a member (the member may too)
    MEMBER_ERASE = "member_erase"  # pseudonymize a member's personal data on their request
    BENEFIT_USE = "benefit_use"  # record a member's use of a tier benefit, e.g. a guest pass at the door
    PURCHASE_RECORD = "purchase_record"  # record a purchase, which earns points
    PURCHASE_REFUND = "purchase_refund"  # refund a purchase, which takes its points back
    POINTS_ADJUST = "points_adjust"  # correct a balance by hand, with a reason
    STAFF_READ = "staff_read"
    SESSION_REVOKE = "session_revoke"  # sign a member or a staff member out everywhere
    # Events
    EVENT_MANAGE = "event_manage"  # create, change and cancel events
    EVENT_REGISTER = "event_register"  # register a member, or cancel their registration, on their behalf
    EVENT_CHECK_IN = "event_check_in"  # check members in at the door
    EVENT_ATTENDEES_READ = "event_attendees_read"  # an event's registrations and feedback
    # Care
    INTERACTION_RECORD = "interaction_record"  # log a visit, call, message or gift
    CARE_READ = "care_read"  # interactions, the care calendar, lifecycle, churn risk and segment
    TASK_WRITE = "task_write"  # create and complete follow-up tasks
    # Feedback
    TICKET_CREATE = "ticket_create"  # open a ticket on a member's behalf
    TICKET_MANAGE = "ticket_manage"  # read, assign, answer and move tickets through their workflow
    SURVEY_MANAGE = "survey_manage"  # create surveys and send them
    FEEDBACK_READ = "feedback_read"  # survey answers and NPS figures
    # Analytics
    ANALYTICS_READ = "analytics_read"
    # Partners
    PARTNER_MANAGE = "partner_manage"  # the partner registry: partners, settlement terms, API keys, settlements
    REWARD_MANAGE = "reward_manage"  # the club's own rewards: create, change, stock
    VOUCHER_CONSUME = "voucher_consume"  # validate and take a club voucher at the club's own counter
    # Audit
    AUDIT_READ = "audit_read"  # the audit log: who read or changed what about which member
    # Webhooks
    WEBHOOK_MANAGE = "webhook_manage"  # outbound webhook endpoints and their deliveries


_MEMBER_CARE = {
    Permission.MEMBER_READ,
    Permission.MEMBER_CREATE,
    Permission.MEMBER_UPDATE,
    Permission.MEMBER_PREFERENCE_WRITE,
    Permission.MEMBER_IMPORTANT_DATE_WRITE,
    Permission.MEMBER_CONSENT_WRITE,
    Permission.STAFF_READ,
    Permission.EVENT_REGISTER,
    Permission.INTERACTION_RECORD,
    Permission.CARE_READ,
    Permission.TASK_WRITE,
    Permission.TICKET_CREATE,
    Permission.TICKET_MANAGE,
    Permission.FEEDBACK_READ,
}

ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.FRONT_DESK: frozenset(
        {
            Permission.MEMBER_READ,
            Permission.MEMBER_CREATE,
            Permission.MEMBER_PREFERENCE_WRITE,
            Permission.STAFF_READ,
            Permission.BENEFIT_USE,
            Permission.PURCHASE_RECORD,
            Permission.EVENT_REGISTER,
            Permission.EVENT_CHECK_IN,
            Permission.EVENT_ATTENDEES_READ,
            Permission.INTERACTION_RECORD,
            Permission.TICKET_CREATE,
            Permission.VOUCHER_CONSUME,
        }
    ),
    # Refunds and adjustments take points away or create them: not the front desk's call.
    StaffRole.ACCOUNT_MANAGER: frozenset(
        _MEMBER_CARE
        | {Permission.BENEFIT_USE, Permission.PURCHASE_RECORD, Permission.PURCHASE_REFUND, Permission.POINTS_ADJUST}
    ),
    StaffRole.EVENT_MANAGER: frozenset(
        {
            Permission.MEMBER_READ,
            Permission.STAFF_READ,
            Permission.EVENT_MANAGE,
            Permission.EVENT_REGISTER,
            Permission.EVENT_CHECK_IN,
            Permission.EVENT_ATTENDEES_READ,
            Permission.SURVEY_MANAGE,
            Permission.FEEDBACK_READ,
        }
    ),
    StaffRole.PARTNER_MANAGER: frozenset({Permission.STAFF_READ, Permission.PARTNER_MANAGE, Permission.REWARD_MANAGE}),
    StaffRole.CLUB_MANAGER: frozenset(Permission),
    StaffRole.ADMINISTRATOR: frozenset(Permission),
}

# Roles whose writes to a member, and whose care reads, are limited to the members assigned to them.
OWN_MEMBERS_ONLY: frozenset[StaffRole] = frozenset({StaffRole.ACCOUNT_MANAGER})


def has_permission(viewer: Viewer, permission: Permission) -> bool:
    return viewer.role is not None and permission in ROLE_PERMISSIONS.get(viewer.role, frozenset())


def require_permission(viewer: Viewer, permission: Permission) -> None:
    if viewer.is_anonymous:
        raise NotAuthenticated()
    if not has_permission(viewer, permission):
        raise PermissionDenied()


def may_write_member(viewer: Viewer, permission: Permission, *, account_manager_id: int | None) -> bool:
    """A staff write to one member's record: the role allows it, and the scope too."""
    return has_permission(viewer, permission) and in_scope(viewer, account_manager_id=account_manager_id)


def in_scope(viewer: Viewer, *, account_manager_id: int | None) -> bool:
    """Whether a member with this account manager is within the staff viewer's scope."""
    return viewer.role not in OWN_MEMBERS_ONLY or account_manager_id == viewer.id


def may_read_member(viewer: Viewer, member_id: int) -> bool:
    return viewer.is_member_self(member_id) or has_permission(viewer, Permission.MEMBER_READ)
