"""No object is reachable by guessing its ID, nor listed to a caller who may not see it: every Node type.

One row per Node type of the schema says how to make one object about a member (or a partner), who
may see it, and which staff role's duty does not cover it. Another member, a partner by API key and
that staff role get nothing for its ID from `node`, `nodes`, the type's own root lookup and
`_entities`, and find it in no list they can reach. The lists are not written by hand: every root
field of the schema is walked down to every Node `id` below it, within the depth limit, so a new list
is probed as soon as it exists. The caller who may see the object gets it by ID and finds it in a
list, so none of this passes by hiding everything from everyone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLUnionType, Undefined

from domain import audit, models
from domain.audit import AuditRecord
from domain.viewer import staff_viewer
from schema import build_schema
from schema.root import MAX_DEPTH
from tests.auth_matrix import (
    ANONYMOUS,
    CLUB_MANAGER,
    EVENT_MANAGER,
    FRONT_DESK,
    OTHER_MANAGER,
    OTHER_MEMBER,
    OWN_MANAGER,
    PARTNER_MANAGER,
    THE_MEMBER,
)
from tests.factories import (
    gid,
    gql,
    make_api_key,
    make_event,
    make_event_feedback,
    make_important_date,
    make_interaction,
    make_member,
    make_partner,
    make_preference,
    make_purchase,
    make_redemption,
    make_registration,
    make_reward,
    make_staff,
    make_survey,
    make_survey_instance,
    make_task,
    make_ticket,
    make_ticket_response,
    make_tiers,
    make_voucher,
    member_token,
    partner_gql,
    refused,
    reward_gid,
    staff_token,
)

PARTNER = "a partner"


@dataclass
class World:
    """Mia, whose objects the rows make, her account manager, and everyone else around her."""

    member: models.Member
    other_member: models.Member
    staff: dict[str, models.Staff]
    partner: models.Partner  # whose records the partner rows make
    caller_key: str  # the API key of another partner, the one that calls

    async def ask(self, client: httpx.AsyncClient, caller: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if caller == PARTNER:
            return await partner_gql(client, query, variables, key=self.caller_key)
        tokens = {ANONYMOUS: None, THE_MEMBER: member_token(self.member), OTHER_MEMBER: member_token(self.other_member)}
        token = tokens[caller] if caller in tokens else staff_token(self.staff[caller])
        return await gql(client, query, variables, token=token)


async def make_world() -> World:
    await make_tiers()
    staff = {
        role_name: await make_staff(role, name=role_name.title())
        for role_name, role in (
            (FRONT_DESK, models.StaffRole.FRONT_DESK),
            (OWN_MANAGER, models.StaffRole.ACCOUNT_MANAGER),
            (OTHER_MANAGER, models.StaffRole.ACCOUNT_MANAGER),
            (EVENT_MANAGER, models.StaffRole.EVENT_MANAGER),
            (PARTNER_MANAGER, models.StaffRole.PARTNER_MANAGER),
            (CLUB_MANAGER, models.StaffRole.CLUB_MANAGER),
        )
    }
    member = await make_member(name="Mia Member", account_manager_id=staff[OWN_MANAGER].id)
    other_member = await make_member(name="Otto Other", account_manager_id=staff[OTHER_MANAGER].id)
    _, caller_key = await make_api_key(await make_partner("Spa Lumen"))
    return World(member, other_member, staff, await make_partner("Maison Laurent"), caller_key)


# --- what the rows make: one object each, its global ID -----------------------------------------


async def _the_member(world: World) -> str:
    return gid("Member", world.member.id)


async def _preference(world: World) -> str:
    return gid("MemberPreference", (await make_preference(world.member)).id)


async def _important_date(world: World) -> str:
    return gid("ImportantDate", (await make_important_date(world.member)).id)


async def _purchase(world: World) -> str:
    return gid("Purchase", (await make_purchase(world.member)).id)


async def _ledger_entry(world: World) -> str:
    purchase = await make_purchase(world.member)
    return gid("LedgerEntry", (await models.LedgerEntry.get(purchase_id=purchase.id)).id)


async def _points_lot(world: World) -> str:
    purchase = await make_purchase(world.member)
    entry = await models.LedgerEntry.get(purchase_id=purchase.id)
    return gid("PointsLot", (await models.PointsLot.get(entry_id=entry.id)).id)


async def _registration(world: World) -> str:
    return gid("EventRegistration", (await make_registration(await make_event(), world.member)).id)


async def _event_feedback(world: World) -> str:
    past = await make_event(starts_at=datetime.now(timezone.utc) - timedelta(days=2))
    return gid("EventFeedback", (await make_event_feedback(past, world.member)).id)


async def _ticket(world: World) -> str:
    return gid("Ticket", (await make_ticket(world.member)).id)


async def _ticket_response(world: World) -> str:
    ticket = await make_ticket(world.member)
    return gid("TicketResponse", (await make_ticket_response(ticket, staff=world.staff[OWN_MANAGER])).id)


async def _survey_instance(world: World) -> str:
    return gid("SurveyInstance", (await make_survey_instance(await make_survey(), world.member)).id)


async def _survey(world: World) -> str:
    survey = await make_survey()
    await make_survey_instance(survey, world.member)
    return gid("Survey", survey.id)


async def _survey_question(world: World) -> str:
    survey = await make_survey()
    await make_survey_instance(survey, world.member)
    return gid("SurveyQuestion", (await models.SurveyQuestion.filter(survey_id=survey.id).first()).id)


async def _interaction(world: World) -> str:
    return gid("Interaction", (await make_interaction(world.member, staff=world.staff[OWN_MANAGER])).id)


async def _task(world: World) -> str:
    return gid("Task", (await make_task(member=world.member, assignee=world.staff[OWN_MANAGER])).id)


async def _redemption(world: World) -> str:
    return gid("Redemption", (await make_redemption(world.member, world.partner)).id)


async def _voucher(world: World) -> str:
    return gid("Voucher", (await make_voucher(world.member, world.partner)).id)


async def _partner(world: World) -> str:
    return gid("Partner", world.partner.id)


async def _partner_api_key(world: World) -> str:
    key, _ = await make_api_key(world.partner)
    return gid("PartnerApiKey", key.id)


async def _account_manager(world: World) -> str:
    return gid("Staff", world.staff[OWN_MANAGER].id)


async def _audit_entry(world: World) -> str:
    manager = world.staff[OWN_MANAGER]
    read = AuditRecord(models.AuditKind.READ, "Member.phone", member_id=world.member.id)
    await audit.record(staff_viewer(manager.id, manager.role), [read], request_id="node-access")
    return gid("AuditEntry", (await models.AuditEntry.get(request_id="node-access")).id)


async def _webhook_endpoint(world: World) -> str:
    return gid("WebhookEndpoint", (await _webhook_delivery_row(world)).endpoint_id)


async def _webhook_delivery(world: World) -> str:
    return gid("WebhookDelivery", (await _webhook_delivery_row(world)).id)


async def _webhook_delivery_row(world: World) -> models.WebhookDelivery:
    """An endpoint's delivery of an event about the member."""
    from domain import outbox, webhooks

    now = datetime.now(timezone.utc)
    await models.WebhookEndpoint.create(
        url="https://hooks.example/h", secret="whsec_x", event_types=["tier.changed"], created_at=now, updated_at=now
    )
    await outbox.enqueue(models.WebhookEventType.TIER_CHANGED, {"member": gid("Member", world.member.id)}, member_id=world.member.id)
    await webhooks.fan_out()
    return await models.WebhookDelivery.get()


async def _tier(world: World) -> str:
    return gid("Tier", (await models.Tier.get(name="Gold")).id)


async def _benefit(world: World) -> str:
    return gid("Benefit", (await models.Benefit.filter(code="guest_pass").first()).id)


async def _event(world: World) -> str:
    return gid("Event", (await make_event()).id)


async def _reward(world: World) -> str:
    return reward_gid(f"club:{(await make_reward()).id}")


@dataclass(frozen=True)
class Row:
    what: str
    make: Callable[[World], Awaitable[str]]
    seen_by: str  # gets it by ID and finds it in a list
    unprivileged: str | None  # a staff role whose duty does not cover it; None when every role's does


# Given one object (`make`), another member, a partner and the `unprivileged` staff role can neither
# fetch nor list it, while `seen_by` can.
# fmt: off
ROWS = {
    "Member":            Row("the member",                      _the_member,       THE_MEMBER,      PARTNER_MANAGER),
    "MemberPreference":  Row("the member's preference",         _preference,       THE_MEMBER,      PARTNER_MANAGER),
    "ImportantDate":     Row("the member's important date",     _important_date,   THE_MEMBER,      PARTNER_MANAGER),
    "Purchase":          Row("the member's purchase",           _purchase,         THE_MEMBER,      PARTNER_MANAGER),
    "LedgerEntry":       Row("the member's ledger entry",       _ledger_entry,     THE_MEMBER,      PARTNER_MANAGER),
    "PointsLot":         Row("the member's points lot",         _points_lot,       THE_MEMBER,      PARTNER_MANAGER),
    "EventRegistration": Row("the member's registration",       _registration,     THE_MEMBER,      OTHER_MANAGER),
    "EventFeedback":     Row("the member's event rating",       _event_feedback,   THE_MEMBER,      OTHER_MANAGER),
    "Ticket":            Row("the member's ticket",             _ticket,           THE_MEMBER,      OTHER_MANAGER),
    "TicketResponse":    Row("a reply on the member's ticket",  _ticket_response,  THE_MEMBER,      OTHER_MANAGER),
    "SurveyInstance":    Row("a survey sent to the member",     _survey_instance,  THE_MEMBER,      OTHER_MANAGER),
    "Survey":            Row("a survey",                        _survey,           EVENT_MANAGER,   FRONT_DESK),
    "SurveyQuestion":    Row("a survey's question",             _survey_question,  EVENT_MANAGER,   FRONT_DESK),
    "Interaction":       Row("a call with the member",          _interaction,      OWN_MANAGER,     OTHER_MANAGER),
    "Task":              Row("a task about the member",         _task,             OWN_MANAGER,     OTHER_MANAGER),
    "Redemption":        Row("the member's redemption",         _redemption,       THE_MEMBER,      OTHER_MANAGER),
    "Voucher":           Row("the member's voucher",            _voucher,          THE_MEMBER,      OTHER_MANAGER),
    "Partner":           Row("another partner's record",        _partner,          PARTNER_MANAGER, FRONT_DESK),
    "PartnerApiKey":     Row("another partner's API key",       _partner_api_key,  PARTNER_MANAGER, EVENT_MANAGER),
    "AuditEntry":        Row("an audit line about the member",  _audit_entry,      CLUB_MANAGER,    OWN_MANAGER),
    "WebhookEndpoint":   Row("a webhook endpoint",              _webhook_endpoint, CLUB_MANAGER,    PARTNER_MANAGER),
    "WebhookDelivery":   Row("a webhook about the member",      _webhook_delivery, CLUB_MANAGER,    OWN_MANAGER),
    # Every staff role reads the staff (STAFF_READ): none is unprivileged.
    "Staff":             Row("the member's account manager",    _account_manager,  CLUB_MANAGER,    None),
}
# fmt: on

# Public club information: anyone may fetch it, anonymous callers included.
PUBLIC = {"Tier": _tier, "Benefit": _benefit, "Event": _event, "Reward": _reward}


# --- probes: every way to reach an object by its ID, and every list ------------------------------

# The root fields that fetch any Node by its ID, probed for every row.
NODE_FIELDS = ("node", "nodes", "_entities")
# Root fields that are neither a lookup by ID nor a list of objects.
NOT_LISTS = {
    "_service": "the SDL",
    "voucherValidate": "one voucher by its secret code, for the counter (tests/test_partner_isolation.py)",
    "settlementStatement": "one partner's figures: a partner's own, or the one a partner manager names "
    "(tests/test_partner_isolation.py)",
}
# Root fields that take one object's ID and answer with another type, by the type of that object.
ABOUT = {"memberDataExport": "Member"}
# Every list is read `first: PAGE`: more than any list of the tests holds, and cheap enough to stay
# under the query cost limit (schema/cost.py).
PAGE = 5
# Values for the root fields' arguments that have no default, and for those that narrow a list by default.
ARGUMENTS = {
    "nps": "by: ACCOUNT_MANAGER",
    "careCalendar": "days: 366",
}


def _schema() -> GraphQLSchema:
    return build_schema()._schema


def _named(type_: Any) -> Any:
    while hasattr(type_, "of_type"):
        type_ = type_.of_type
    return type_


def _required(field: Any) -> list[str]:
    return [
        name for name, arg in field.args.items() if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    ]


def _lookups() -> dict[str, str]:
    """The root fields that take one object's `id` (`member`, `ticket`...), with the name of its type."""
    lookups = {}
    for name, field_ in _schema().query_type.fields.items():
        if _required(field_) == ["id"] and name not in NODE_FIELDS:
            lookups[name] = ABOUT.get(name, _named(field_.type).name)
            if not _is_node(_schema().get_type(lookups[name])):
                raise AssertionError(f"Say in ABOUT which type's ID `{name}` takes")
    return lookups


def by_id_probes(type_name: str, global_id: str) -> dict[str, tuple[str, dict[str, Any], Any]]:
    """Each way to ask for one object by its ID: {root field: (document, variables, the answer when hidden)}."""
    probes = {
        "node": ("query($id: ID!) { node(id: $id) { id } }", {"id": global_id}, None),
        "nodes": ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [global_id]}, [None]),
    }
    for lookup in [name for name, about in _lookups().items() if about == type_name]:
        selection = "__typename" if lookup in ABOUT else "id"
        probes[lookup] = (f"query($id: ID!) {{ {lookup}(id: $id) {{ {selection} }} }}", {"id": global_id}, None)
    if type_name in {type_.name for type_ in _schema().get_type("_Entity").types}:
        document = f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on {type_name} {{ id }} }} }}"
        probes["_entities"] = (document, {"r": [{"__typename": type_name, "id": global_id}]}, [None])
    return probes


@dataclass
class _Selection:
    type_: GraphQLObjectType
    depth: int
    path: frozenset[str]  # the types above it, so that no wrapper type nests in itself
    fields: list[tuple[str, _Selection]] = field(default_factory=list)

    def render(self) -> str | None:
        parts = ["id"] if _is_node(self.type_) else []
        for name, child in self.fields:
            if (inner := child.render()) is not None:
                page = f"(first: {PAGE})" if "first" in self.type_.fields[name].args else ""
                parts.append(f"{name}{page} {{ {inner} }}")
        return " ".join(parts) or None


def _is_node(type_: Any) -> bool:
    return any(interface.name == "Node" for interface in getattr(type_, "interfaces", ()))


def _selection(root: GraphQLObjectType) -> str | None:
    """The `id` of every Node reachable from the root type, down to the depth limit.

    Breadth first: the fields of each Node type are selected once, where it is nearest the root,
    and its other occurrences give only their `id`. Wrappers (connections, edges, progress...) are
    walked wherever they are, so every list field of every type is in the document, at a cost
    within the limit. The price: a type's own fields are read only under its first occurrence (for
    staff, `Event.myRegistration` is always null, so registrations' fields are read under
    `Member.eventRegistrations` instead, in the `members` document). Any object the caller reaches
    still shows its `id`, and that is what the tests look for.
    """
    top = _Selection(root, 1, frozenset({root.name}))
    expanded = {root.name}
    pending = deque([top])
    while pending:
        selection = pending.popleft()
        if selection.depth >= MAX_DEPTH:
            continue
        for name, definition in selection.type_.fields.items():
            target = _named(definition.type)
            if not isinstance(target, GraphQLObjectType) or target.name in selection.path or _required(definition):
                continue
            child = _Selection(target, selection.depth + 1, selection.path | {target.name})
            selection.fields.append((name, child))
            if _is_node(target):
                if target.name in expanded:
                    continue
                expanded.add(target.name)
            pending.append(child)
    return top.render()


def list_probes(caller_type: str) -> dict[str, str]:
    """A document per root field that lists objects, selecting every Node `id` below it.

    A root field of a union type is `me`: the caller itself, so only the caller's own type.
    """
    schema = _schema()
    probes = {}
    for name, field_ in schema.query_type.fields.items():
        if name in NOT_LISTS or name in NODE_FIELDS or _required(field_) == ["id"]:
            continue
        if set(_required(field_)) - {argument.split(":")[0] for argument in ARGUMENTS.get(name, "").split(", ")}:
            raise AssertionError(f"Give `{name}` its arguments in ARGUMENTS, or say in NOT_LISTS why it lists nothing")
        target = _named(field_.type)
        arguments = [ARGUMENTS[name]] if name in ARGUMENTS else []
        arguments += [f"first: {PAGE}"] if "first" in field_.args else []
        if isinstance(target, GraphQLUnionType):
            inner = _selection(schema.get_type(caller_type))
            inner = inner and f"... on {caller_type} {{ {inner} }}"
        else:
            inner = _selection(target)
        if inner is not None:
            probes[name] = f"{{ {name}{'(' + ', '.join(arguments) + ')' if arguments else ''} {{ {inner} }} }}"
    return probes


async def list_everything(client: httpx.AsyncClient, world: World, caller: str) -> dict[str, dict[str, Any]]:
    caller_type = "Partner" if caller == PARTNER else "Member" if caller in (THE_MEMBER, OTHER_MEMBER) else "Staff"
    return {name: await world.ask(client, caller, document, {}) for name, document in list_probes(caller_type).items()}


def ids_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                yield item
            else:
                yield from ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from ids_in(item)


def unexpected_errors(answers: dict[str, dict[str, Any]]) -> list[tuple[str, Any]]:
    """Errors other than a refusal of the whole list: a list that fails shows nothing, and proves nothing."""
    return [
        (name, error)
        for name, answer in answers.items()
        for error in answer.get("errors", [])
        if not (error.get("path") == [name] and error["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED"))
    ]


def _forbidden(answer: dict[str, Any], name: str) -> bool:
    """A refusal of the field: nothing in it, and one FORBIDDEN error about it."""
    errors = [(error.get("path"), error["extensions"]["code"]) for error in answer.get("errors", [])]
    return (answer["data"] or {}).get(name) is None and errors == [([name], "FORBIDDEN")]


# --- the tests ----------------------------------------------------------------------------------


def test_every_node_type_of_the_schema_has_a_row():
    # given
    schema = _schema()
    # when
    node_types = {type_.name for type_ in schema.get_possible_types(schema.get_type("Node"))}
    # then
    assert not set(ROWS) & set(PUBLIC)
    assert set(ROWS) | set(PUBLIC) == node_types


def test_every_root_field_is_probed_by_id_or_as_a_list_or_says_why_not():
    # given
    fields = set(_schema().query_type.fields)
    # when
    probed = set(NODE_FIELDS) | set(_lookups()) | set(list_probes("Staff"))
    # then
    assert fields - probed == set(NOT_LISTS)
    assert {"members", "events", "tickets", "tasks", "careCalendar", "partners", "auditLog"} <= probed


def _hidden_cases() -> Iterator[Any]:
    for type_name, row in ROWS.items():
        for caller in (OTHER_MEMBER, PARTNER, row.unprivileged):
            if caller is not None:
                yield pytest.param(type_name, caller, id=f"{caller} can neither fetch nor list {row.what} ({type_name})")


@pytest.mark.parametrize(("type_name", "caller"), _hidden_cases())
async def test_an_object_is_hidden_from_callers_who_may_not_see_it(client, type_name, caller):
    # given
    world = await make_world()
    global_id = await ROWS[type_name].make(world)
    probes = by_id_probes(type_name, global_id)
    # when
    by_id = {name: await world.ask(client, caller, document, variables) for name, (document, variables, _) in probes.items()}
    lists = await list_everything(client, world, caller)
    # then: a partner's key is refused these fields outright (schema/partners/guard.py). Anyone else gets null
    # from `node` and `nodes`, as if the object did not exist, and null or FORBIDDEN from the other lookups
    # (the auth matrices pin which)
    if caller == PARTNER:
        assert by_id == {name: refused(name, "FORBIDDEN", f"A partner's API key may not use `{name}`") for name in probes}
    else:
        assert by_id["node"] == {"data": {"node": None}}
        assert by_id["nodes"] == {"data": {"nodes": [None]}}
        for name, (_, _, hidden) in probes.items():
            assert by_id[name] == {"data": {name: hidden}} or _forbidden(by_id[name], name), name
    assert unexpected_errors(lists) == []
    assert global_id not in set(ids_in(lists))


@pytest.mark.parametrize("type_name", ROWS, ids=[f"{row.seen_by} gets {row.what} ({name})" for name, row in ROWS.items()])
async def test_an_object_is_seen_by_a_caller_who_may_see_it(client, type_name):
    # given
    world = await make_world()
    row = ROWS[type_name]
    global_id = await row.make(world)
    # when
    lists = await list_everything(client, world, row.seen_by)
    node = await world.ask(client, row.seen_by, "query($id: ID!) { node(id: $id) { id } }", {"id": global_id})
    nodes = await world.ask(client, row.seen_by, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [global_id]})
    # then
    assert node == {"data": {"node": {"id": global_id}}}
    assert nodes == {"data": {"nodes": [{"id": global_id}]}}
    assert unexpected_errors(lists) == []
    assert global_id in set(ids_in(lists))


@pytest.mark.parametrize("type_name", PUBLIC, ids=[f"anyone gets a {name}: public club information" for name in PUBLIC])
async def test_public_club_information_is_anyones(client, type_name):
    # given
    world = await make_world()
    global_id = await PUBLIC[type_name](world)
    # when
    node = await world.ask(client, ANONYMOUS, "query($id: ID!) { node(id: $id) { id } }", {"id": global_id})
    # then
    assert node == {"data": {"node": {"id": global_id}}}
