"""Member mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.members.mutations.member_assign_account_manager import member_assign_account_manager
from schema.members.mutations.member_consent_set import member_consent_set
from schema.members.mutations.member_create import member_create
from schema.members.mutations.member_erase import member_erase
from schema.members.mutations.member_important_date_add import member_important_date_add
from schema.members.mutations.member_important_date_remove import member_important_date_remove
from schema.members.mutations.member_preference_add import member_preference_add
from schema.members.mutations.member_preference_remove import member_preference_remove
from schema.members.mutations.member_set_tier import member_set_tier
from schema.members.mutations.member_update import member_update


@strawberry.type
class MemberMutation:
    member_create = strawberry.mutation(resolver=member_create, description="Enrol a new member (staff).")
    member_update = strawberry.mutation(
        resolver=member_update, description="Change profile fields: members their own contact fields, staff more."
    )
    member_preference_add = strawberry.mutation(resolver=member_preference_add, description="Record a preference.")
    member_preference_remove = strawberry.mutation(resolver=member_preference_remove, description="Forget a preference.")
    member_important_date_add = strawberry.mutation(
        resolver=member_important_date_add, description="Remember a date for the care calendar."
    )
    member_important_date_remove = strawberry.mutation(
        resolver=member_important_date_remove, description="Forget an important date."
    )
    member_consent_set = strawberry.mutation(
        resolver=member_consent_set, description="Record consent for one purpose of data use."
    )
    member_assign_account_manager = strawberry.mutation(
        resolver=member_assign_account_manager, description="Assign or unassign the member's account manager (staff)."
    )
    member_set_tier = strawberry.mutation(
        resolver=member_set_tier, description="Put a member in a tier by hand, with a reason (staff)."
    )
    member_erase = strawberry.mutation(
        resolver=member_erase,
        description="Pseudonymize a member's personal data on their request; the ledger and settlements stay (staff).",
    )
