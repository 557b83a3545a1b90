"""The Member fields about redemptions; Member declares them, the logic stays here."""

from __future__ import annotations

from typing import Any

from domain import models
from schema.base import Info
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, first_page_then_paginate
from schema.redemptions.types import Redemption, Voucher, may_read_redemptions


async def redemptions(
    root: Any, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
) -> Connection[Redemption] | None:
    """Newest first; null unless the member themselves or staff with MEMBER_READ in scope. A page of
    members gets all their first pages in one query."""
    if not may_read_redemptions(info.context.viewer, member_id=root.id, account_manager_id=root.account_manager_id):
        return None
    return await first_page_then_paginate(
        info.context.loaders.redemption_pages_by_member_id,
        root.id,
        models.Redemption.filter(member_id=root.id),
        first=first,
        after=after,
        node=Redemption.from_row,
        descending=True,
    )


async def vouchers(
    root: Any, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
) -> Connection[Voucher] | None:
    """Newest first, whatever their status; visible as `redemptions` are."""
    if not may_read_redemptions(info.context.viewer, member_id=root.id, account_manager_id=root.account_manager_id):
        return None
    return await first_page_then_paginate(
        info.context.loaders.voucher_pages_by_member_id,
        root.id,
        models.Voucher.filter(member_id=root.id),
        first=first,
        after=after,
        node=Voucher.from_row,
        descending=True,
    )
