"""The Loaders container, built fresh for every request so that nothing is cached across requests."""

from __future__ import annotations

from functools import partial

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


class Loaders:
    """Named `<entity>_by_<key>`; rows are ORM objects, the schema layer shapes them."""

    __slots__ = (
        "active_registration_by_event_and_member_id",
        "average_rating_by_event_id",
        "balance_at_by_member_and_moment",
        "benefits_by_member_and_tier_id",
        "benefits_by_tier_id",
        "consents_by_member_id",
        "event_by_id",
        "event_feedback_by_id",
        "event_feedback_by_registration_id",
        "event_feedback_pages_by_event_id",
        "event_registration_by_id",
        "event_registration_pages_by_event_and_status",
        "event_registration_pages_by_member_id",
        "expiring_soon_by_member_and_days",
        "important_date_by_id",
        "important_dates_by_member_id",
        "interaction_by_id",
        "interaction_pages_by_member_id",
        "ledger_entry_by_id",
        "lot_by_id",
        "lot_consumptions_by_entry_id",
        "lots_by_entry_id",
        "member_by_id",
        "partner_api_key_by_id",
        "partner_api_keys_by_partner_id",
        "partner_by_id",
        "partner_catalog_by_id",
        "preference_by_id",
        "preferences_by_member_id",
        "public_ticket_response_pages_by_ticket_id",
        "purchase_by_id",
        "redemption_by_id",
        "redemption_pages_by_member_id",
        "reward_by_id",
        "staff_by_id",
        "survey_answers_by_instance_id",
        "survey_by_id",
        "survey_instance_by_id",
        "survey_instance_pages_by_member_id",
        "survey_question_by_id",
        "survey_questions_by_survey_id",
        "task_by_id",
        "ticket_by_id",
        "ticket_pages_by_member_id",
        "ticket_response_by_id",
        "ticket_response_pages_by_ticket_id",
        "ticket_status_changes_by_ticket_id",
        "tier_by_id",
        "tier_changes_by_member_id",
        "tier_ladder",
        "tier_progress_by_member_id",
        "voucher_by_id",
        "voucher_by_redemption_id",
        "voucher_pages_by_member_id",
        "waitlist_count_by_event_id",
        "waitlist_position_by_registration_id",
    )

    def __init__(self) -> None:
        self.member_by_id = DataLoader(partial(load_by_id, models.Member))
        self.staff_by_id = DataLoader(partial(load_by_id, models.Staff))
        self.tier_by_id = DataLoader(partial(load_by_id, models.Tier))
        self.preference_by_id = DataLoader(partial(load_by_id, models.MemberPreference))
        self.important_date_by_id = DataLoader(partial(load_by_id, models.ImportantDate))
        self.benefits_by_tier_id = DataLoader(partial(load_children, models.Benefit, "tier_id"))
        self.preferences_by_member_id = DataLoader(
            partial(load_children, models.MemberPreference, "member_id", order_by=("noted_at", "id"))
        )
        self.important_dates_by_member_id = DataLoader(
            partial(load_children, models.ImportantDate, "member_id", order_by=("date", "id"))
        )
        self.consents_by_member_id = DataLoader(
            partial(load_children, models.Consent, "member_id", order_by=("purpose",))
        )
        self.tier_changes_by_member_id = DataLoader(
            partial(load_children, models.TierChange, "member_id", order_by=("-created_at", "-id"))
        )
        self.tier_progress_by_member_id = DataLoader(load_tier_progress_by_member_id)
        self.benefits_by_member_and_tier_id = DataLoader(load_benefits_by_member_and_tier_id)
        # Points: what explains a balance. History itself is a paginated connection, not a loader.
        self.purchase_by_id = DataLoader(partial(load_by_id, models.Purchase))
        self.ledger_entry_by_id = DataLoader(partial(load_by_id, models.LedgerEntry))
        self.lot_by_id = DataLoader(partial(load_by_id, models.PointsLot))
        self.lots_by_entry_id = DataLoader(partial(load_children, models.PointsLot, "entry_id"))
        self.lot_consumptions_by_entry_id = DataLoader(partial(load_children, models.LotConsumption, "entry_id"))
        self.balance_at_by_member_and_moment = DataLoader(load_balances_at)
        self.expiring_soon_by_member_and_days = DataLoader(load_expiring_soon)
        # Care
        self.interaction_by_id = DataLoader(partial(load_by_id, models.Interaction))
        self.interaction_pages_by_member_id = DataLoader(
            partial(load_first_pages, models.Interaction, "member_id", order_by=("-occurred_at", "-id"))
        )
        self.task_by_id = DataLoader(partial(load_by_id, models.Task))
        # Events
        self.event_by_id = DataLoader(partial(load_by_id, models.Event))
        self.event_registration_by_id = DataLoader(partial(load_by_id, models.EventRegistration))
        self.event_feedback_by_id = DataLoader(partial(load_by_id, models.EventFeedback))
        self.event_feedback_by_registration_id = DataLoader(
            partial(load_children, models.EventFeedback, "registration_id")
        )
        self.event_feedback_pages_by_event_id = DataLoader(
            partial(load_first_pages, models.EventFeedback, "event_id", order_by=("id",))
        )
        self.event_registration_pages_by_member_id = DataLoader(
            partial(load_first_pages, models.EventRegistration, "member_id", order_by=("-id",))
        )
        self.event_registration_pages_by_event_and_status = DataLoader(load_registration_pages_by_event_and_status)
        self.waitlist_count_by_event_id = DataLoader(load_waitlist_count_by_event_id)
        self.average_rating_by_event_id = DataLoader(load_average_rating_by_event_id)
        self.active_registration_by_event_and_member_id = DataLoader(load_active_registration_by_event_and_member_id)
        self.waitlist_position_by_registration_id = DataLoader(load_waitlist_position_by_registration_id)
        # Feedback
        self.ticket_by_id = DataLoader(partial(load_by_id, models.Ticket))
        self.ticket_response_by_id = DataLoader(partial(load_by_id, models.TicketResponse))
        self.ticket_pages_by_member_id = DataLoader(
            partial(load_first_pages, models.Ticket, "member_id", order_by=("-id",))
        )
        # Staff read every response, members not the internal notes: one loader each.
        self.ticket_response_pages_by_ticket_id = DataLoader(
            partial(load_first_pages, models.TicketResponse, "ticket_id", order_by=("id",))
        )
        self.public_ticket_response_pages_by_ticket_id = DataLoader(
            partial(load_first_pages, models.TicketResponse, "ticket_id", order_by=("id",), where="NOT is_internal")
        )
        self.ticket_status_changes_by_ticket_id = DataLoader(
            partial(load_children, models.TicketStatusChange, "ticket_id")
        )
        self.survey_by_id = DataLoader(partial(load_by_id, models.Survey))
        self.survey_question_by_id = DataLoader(partial(load_by_id, models.SurveyQuestion))
        self.survey_questions_by_survey_id = DataLoader(
            partial(load_children, models.SurveyQuestion, "survey_id", order_by=("position",))
        )
        self.survey_instance_by_id = DataLoader(partial(load_by_id, models.SurveyInstance))
        self.survey_instance_pages_by_member_id = DataLoader(
            partial(load_first_pages, models.SurveyInstance, "member_id", order_by=("-id",))
        )
        self.survey_answers_by_instance_id = DataLoader(
            partial(load_children, models.SurveyAnswer, "instance_id", order_by=("id",))
        )
        # Partners
        self.partner_by_id = DataLoader(partial(load_by_id, models.Partner))
        self.partner_api_key_by_id = DataLoader(partial(load_by_id, models.PartnerApiKey))
        self.partner_api_keys_by_partner_id = DataLoader(partial(load_children, models.PartnerApiKey, "partner_id"))
        # Keyed (federation, partner id): every partner's catalog a request needs, read in one go
        self.partner_catalog_by_id = DataLoader(load_partner_catalogs)
        # Rewards: the club's own, and the tier ladder once per request for tier names and eligibility
        self.reward_by_id = DataLoader(partial(load_by_id, models.Reward))
        self.tier_ladder = DataLoader(rewards.load_ladders)
        # Redemptions
        self.redemption_by_id = DataLoader(partial(load_by_id, models.Redemption))
        self.voucher_by_id = DataLoader(partial(load_by_id, models.Voucher))
        self.voucher_by_redemption_id = DataLoader(partial(load_children, models.Voucher, "redemption_id"))
        self.redemption_pages_by_member_id = DataLoader(
            partial(load_first_pages, models.Redemption, "member_id", order_by=("-id",))
        )
        self.voucher_pages_by_member_id = DataLoader(
            partial(load_first_pages, models.Voucher, "member_id", order_by=("-id",))
        )
