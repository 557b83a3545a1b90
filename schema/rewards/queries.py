"""The rewards catalog: public, like events; partners that did not answer are named in `errors`."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.relay.utils import from_base64, to_base64

from domain import rewards
from domain.catalog import CatalogItem
from schema.base import Info, node_pk_or_none
from schema.errors import BadRequest
from schema.pagination import DEFAULT_PAGE_SIZE, check_page_size
from schema.rewards.types import Reward, load_reward, partner_failure, viewer_eligibility

_CURSOR_PREFIX = "reward"


@strawberry.type(description="A page of the rewards catalog.")
class RewardConnection(relay.Connection[Reward]):
    _page: strawberry.Private[rewards.CatalogPage | None] = None

    @strawberry.field(description="How many rewards match, partners that answered included (one extra COUNT query).")
    async def total_count(self) -> int:
        assert self._page is not None
        return await self._page.total_count()


@strawberry.input(description="Narrows the catalog; all given conditions must hold.")
class RewardFilter:
    partner_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Only this partner's items; no other partner is asked"
    )
    club_only: bool = strawberry.field(default=False, description="Only the club's own rewards; no partner is asked")
    category: str | None = strawberry.field(default=None, description="Exactly this category, in any case")
    max_points: int | None = strawberry.field(default=None, description="A points price at most this")
    eligible_for_me: bool = strawberry.field(
        default=False,
        description="Only rewards the calling member may redeem now: their tier is high enough and stock is left. "
        "Members only",
    )


def _cursor(item: CatalogItem) -> str:
    return to_base64(_CURSOR_PREFIX, f"{item.points_price}|{item.key}")


def _position(after: str | None) -> rewards.SortKey | None:
    if after is None:
        return None
    try:
        prefix, value = from_base64(after)
        price, _, key = value.partition("|")
        position = rewards.sort_key_of(int(price), key) if prefix == _CURSOR_PREFIX and len(price) < 12 else None
    except ValueError:
        position = None
    if position is None:
        raise BadRequest("The cursor in `after` is not valid; use an `endCursor` from this list")
    return position


@strawberry.type
class RewardQuery:
    @strawberry.field(
        description="The catalog: the club's own rewards and every active partner's items, by points price. "
        "A partner that does not answer in time is left out and named in `errors` (code PARTNER_UNAVAILABLE)."
    )
    async def rewards(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, filter: RewardFilter | None = None
    ) -> RewardConnection:
        filter = filter or RewardFilter()
        first = check_page_size(first)
        partner_id = None
        if filter.partner_id is not None:
            partner_id = node_pk_or_none(filter.partner_id, "Partner", missing=0)
        tiers, eligibility = await viewer_eligibility(info)
        page = await rewards.catalog_page(
            viewer=info.context.viewer,
            federation=info.context.federation,
            filter=rewards.RewardFilter(
                partner_id=partner_id,
                club_only=filter.club_only,
                category=filter.category,
                max_points=filter.max_points,
                eligible_for_me=filter.eligible_for_me,
            ),
            first=first,
            after=_position(after),
            tiers=tiers,
            eligibility=eligibility,
        )
        for failure in page.failures:
            partner_failure(info, failure.partner_id, failure.partner_name, failure.reason)
        shown = page.items[:first]
        edges = [
            relay.Edge(
                cursor=_cursor(item),
                node=Reward.from_item(
                    item,
                    partner_name=page.partner_names.get(item.partner_id) if item.partner_id is not None else None,
                    eligibility=page.eligibility,
                ),
            )
            for item in shown
        ]
        connection = RewardConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=len(page.items) > first,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
        connection._page = page
        return connection

    @strawberry.field(description="One reward by its ID; null when it is gone or inactive.")
    async def reward(self, info: Info, id: relay.GlobalID) -> Reward | None:
        if id.type_name != "Reward":
            return None
        return await load_reward(info, id.node_id)
