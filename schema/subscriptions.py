"""Subscriptions (graphql-transport-ws): a member's live balance and registrations, and staff's ticket breaches.

Each one listens to its channel of domain/live.py first, then reads the current state, so that no
change falls in between; every notification is read again through fresh DataLoaders and the types'
own visibility rules, exactly as a query would show it. A subscription lasts only as long as the
token of its connection: it ends with UNAUTHENTICATED when the token expires, and when its sign-in
has ended, which it asks on every notification and every CLUBGRAPH_LIVE_CHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime, timezone
from typing import Any

import strawberry
from graphql import GraphQLError

from domain import live, sessions
from domain.errors import NotAuthenticated
from loaders import Loaders
from schema.base import Info
from schema.events.types import EventRegistration
from schema.feedback.types import Ticket
from schema.members.types import Member

EXPIRED = "The access token has expired: connect again with a fresh one to go on"
SIGNED_OUT = "The sign-in has ended: sign in again to go on"


async def _still_signed_in(info: Info) -> None:
    context = info.context
    if context.token_expires_at is not None and context.token_expires_at <= datetime.now(timezone.utc):
        raise NotAuthenticated(EXPIRED)
    if context.session_id is not None and not await sessions.is_live(context.session_id):
        raise NotAuthenticated(SIGNED_OUT)


async def _notifications(info: Info, channel: str) -> AsyncGenerator[dict[str, Any] | None, None]:
    """None at once (read the current state), then each notification of the channel, while the token stands.

    Before each, the DataLoaders start afresh: what they held is older than the change.
    """
    try:
        listener = live.listen(channel)
    except live.LiveUnavailable as error:
        raise GraphQLError(str(error), extensions={"code": "LIVE_UNAVAILABLE"}) from None
    loop = asyncio.get_running_loop()
    every = info.context.settings.live_check_seconds
    expires_at = info.context.token_expires_at
    try:
        yield None
        next_check = loop.time() + every
        while True:
            wait = next_check - loop.time()
            if expires_at is not None:
                wait = min(wait, (expires_at - datetime.now(timezone.utc)).total_seconds())
            try:
                payload = await listener.next(timeout=max(wait, 0))
            except live.LiveUnavailable as error:
                raise GraphQLError(str(error), extensions={"code": "LIVE_UNAVAILABLE"}) from None
            # Woken by a notification, the time for a check, or the token's expiry: each calls for a look.
            await _still_signed_in(info)
            next_check = loop.time() + every
            if payload is not None:
                info.context.loaders = Loaders()
                yield payload
    finally:
        listener.close()


async def _balances(info: Info, member_id: int) -> AsyncGenerator[Member, None]:
    last = None
    # aclosing: the listener stops with the subscription, not whenever the garbage collector gets to it.
    async with aclosing(_notifications(info, live.points_channel(member_id))) as notifications:
        async for _ in notifications:
            row = await info.context.loaders.member_by_id.load(member_id)
            if row is None:
                return
            # A notification whose change was already shown (or rolled into the last one) shows nothing new.
            if (row.points_balance, row.points_debt) != last:
                last = (row.points_balance, row.points_debt)
                yield Member.from_row(row)


async def _registrations(info: Info, member_id: int) -> AsyncGenerator[EventRegistration, None]:
    async with aclosing(_notifications(info, live.registrations_channel(member_id))) as notifications:
        async for payload in notifications:
            if payload is not None:
                ids = [str(payload["registration"])]
                [registration] = await EventRegistration.resolve_nodes(info=info, node_ids=ids)
                if registration is not None:
                    yield registration


async def _breaches(info: Info) -> AsyncGenerator[Ticket, None]:
    async with aclosing(_notifications(info, live.BREACHES)) as notifications:
        async for payload in notifications:
            if payload is not None:
                for ticket in await Ticket.resolve_nodes(info=info, node_ids=[str(pk) for pk in payload["tickets"]]):
                    if ticket is not None:
                        yield ticket


# The resolvers check who may subscribe before they hand over the stream: a refusal is then the
# protocol's `error` message, not an event.
@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The signed-in member, first as they are now, then after each change of their points "
        "balance or debt (`pointsBalance`, `pointsDebt`). Members only."
    )
    async def points_balance_changed(self, info: Info) -> AsyncGenerator[Member, None]:
        member_id = live.own_member_id(info.context.viewer)
        await _still_signed_in(info)
        return _balances(info, member_id)

    @strawberry.subscription(
        description="The signed-in member's event registrations, each time one changes: registered, "
        "promoted from the waitlist, cancelled, checked in. Members only."
    )
    async def registration_changed(self, info: Info) -> AsyncGenerator[EventRegistration, None]:
        member_id = live.own_member_id(info.context.viewer)
        await _still_signed_in(info)
        return _registrations(info, member_id)

    @strawberry.subscription(
        description="Each ticket the SLA check flags as breached, among those the caller handles (an "
        "account manager: their own members' and those assigned to them). Staff who manage tickets."
    )
    async def ticket_breached(self, info: Info) -> AsyncGenerator[Ticket, None]:
        live.breaches_channel(info.context.viewer)
        await _still_signed_in(info)
        return _breaches(info)
