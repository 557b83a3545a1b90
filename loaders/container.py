"""The Loaders container, built fresh for every request so that nothing is cached across requests."""

from __future__ import annotations

from functools import cached_property, partial
from typing import Any

from strawberry.dataloader import DataLoader

from domain import models, rewards
from partners.federation import load_partner_catalogs
from loaders.batch import load_by_id, load_children, load_first_pages
from loaders.events import (
    load_active_registration_by_event_and_member_id,
    load_average_rating_by_event_id,
    load_registration_pages_by_event_and_status,
    load_waitlist_count_by_event_id,
    load_waitlist_position_by_registration_id,
)
from loaders.points import load_balances_at, load_expiring_soon
from loaders.tiers import load_benefits_by_member_and_tier_id, load_tier_progress_by_member_id


def _loader(load_fn: Any) -> Any:
    """A request's loader, made when first used: a request needs a few of the sixty."""
    return cached_property(lambda self: DataLoader(load_fn))


class Loaders:
    """Named `<entity>_by_<key>`; rows are ORM objects, the schema layer shapes them."""

    member_by_id = _loader(partial(load_by_id, models.Member))
    staff_by_id = _loader(partial(load_by_id, models.Staff))
    tier_by_id = _loader(partial(load_by_id, models.Tier))
    preference_by_id = _loader(partial(load_by_id, models.MemberPreference))
    important_date_by_id = _loader(partial(load_by_id, models.ImportantDate))
    benefits_by_tier_id = _loader(partial(load_children, models.Benefit, "tier_id"))
    preferences_by_member_id = _loader(
        partial(load_children, models.MemberPreference, "member_id", order_by=("noted_at", "id"))
    )
    important_dates_by_member_id = _loader(
        partial(load_children, models.ImportantDate, "member_id", order_by=("date", "id"))
    )
    consents_by_member_id = _loader(
        partial(load_children, models.Consent, "member_id", order_by=("purpose",))
    )
    tier_changes_by_member_id = _loader(
        partial(load_children, models.TierChange, "member_id", order_by=("-created_at", "-id"))
    )
    tier_progress_by_member_id = _loader(load_tier_progress_by_member_id)
    benefits_by_member_and_tier_id = _loader(load_benefits_by_member_and_tier_id)
    # Points: what explains a balance. History itself is a paginated connection, not a loader.
    purchase_by_id = _loader(partial(load_by_id, models.Purchase))
    ledger_entry_by_id = _loader(partial(load_by_id, models.LedgerEntry))
    lot_by_id = _loader(partial(load_by_id, models.PointsLot))
    lots_by_entry_id = _loader(partial(load_children, models.PointsLot, "entry_id"))
    lot_consumptions_by_entry_id = _loader(partial(load_children, models.LotConsumption, "entry_id"))
    balance_at_by_member_and_moment = _loader(load_balances_at)
    expiring_soon_by_member_and_days = _loader(load_expiring_soon)
    # Care
    interaction_by_id = _loader(partial(load_by_id, models.Interaction))
    interaction_pages_by_member_id = _loader(
        partial(load_first_pages, models.Interaction, "member_id", order_by=("-occurred_at", "-id"))
    )
    task_by_id = _loader(partial(load_by_id, models.Task))
    # Events
    event_by_id = _loader(partial(load_by_id, models.Event))
    event_registration_by_id = _loader(partial(load_by_id, models.EventRegistration))
    event_feedback_by_id = _loader(partial(load_by_id, models.EventFeedback))
    event_feedback_by_registration_id = _loader(
        partial(load_children, models.EventFeedback, "registration_id")
    )
    event_feedback_pages_by_event_id = _loader(
        partial(load_first_pages, models.EventFeedback, "event_id", order_by=("id",))
    )
    event_registration_pages_by_member_id = _loader(
        partial(load_first_pages, models.EventRegistration, "member_id", order_by=("-id",))
    )
    event_registration_pages_by_event_and_status = _loader(load_registration_pages_by_event_and_status)
    waitlist_count_by_event_id = _loader(load_waitlist_count_by_event_id)
    average_rating_by_event_id = _loader(load_average_rating_by_event_id)
    active_registration_by_event_and_member_id = _loader(load_active_registration_by_event_and_member_id)
    waitlist_position_by_registration_id = _loader(load_waitlist_position_by_registration_id)
    # Feedback
    ticket_by_id = _loader(partial(load_by_id, models.Ticket))
    ticket_response_by_id = _loader(partial(load_by_id, models.TicketResponse))
    ticket_pages_by_member_id = _loader(
        partial(load_first_pages, models.Ticket, "member_id", order_by=("-id",))
    )
    # Staff read every response, members not the internal notes: one loader each.
    ticket_response_pages_by_ticket_id = _loader(
        partial(load_first_pages, models.TicketResponse, "ticket_id", order_by=("id",))
    )
    public_ticket_response_pages_by_ticket_id = _loader(
        partial(load_first_pages, models.TicketResponse, "ticket_id", order_by=("id",), where="NOT is_internal")
    )
    ticket_status_changes_by_ticket_id = _loader(
        partial(load_children, models.TicketStatusChange, "ticket_id")
    )
    survey_by_id = _loader(partial(load_by_id, models.Survey))
    survey_question_by_id = _loader(partial(load_by_id, models.SurveyQuestion))
    survey_questions_by_survey_id = _loader(
        partial(load_children, models.SurveyQuestion, "survey_id", order_by=("position",))
    )
    survey_instance_by_id = _loader(partial(load_by_id, models.SurveyInstance))
    survey_instance_pages_by_member_id = _loader(
        partial(load_first_pages, models.SurveyInstance, "member_id", order_by=("-id",))
    )
    survey_answers_by_instance_id = _loader(
        partial(load_children, models.SurveyAnswer, "instance_id", order_by=("id",))
    )
    # Partners
    partner_by_id = _loader(partial(load_by_id, models.Partner))
    partner_api_key_by_id = _loader(partial(load_by_id, models.PartnerApiKey))
    partner_api_keys_by_partner_id = _loader(partial(load_children, models.PartnerApiKey, "partner_id"))
    # Keyed (federation, partner id): every partner's catalog a request needs, read in one go
    partner_catalog_by_id = _loader(load_partner_catalogs)
    # Rewards: the club's own, and the tier ladder once per request for tier names and eligibility
    reward_by_id = _loader(partial(load_by_id, models.Reward))
    tier_ladder = _loader(rewards.load_ladders)
    # Redemptions
    redemption_by_id = _loader(partial(load_by_id, models.Redemption))
    voucher_by_id = _loader(partial(load_by_id, models.Voucher))
    voucher_by_redemption_id = _loader(partial(load_children, models.Voucher, "redemption_id"))
    redemption_pages_by_member_id = _loader(
        partial(load_first_pages, models.Redemption, "member_id", order_by=("-id",))
    )
    voucher_pages_by_member_id = _loader(
        partial(load_first_pages, models.Voucher, "member_id", order_by=("-id",))
    )
