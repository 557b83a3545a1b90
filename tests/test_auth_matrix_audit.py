"""The auth matrix of the audit log: club managers and administrators only.

Written out by hand from domain/policy.py read as the spec: AUDIT_READ belongs to those two roles. An
audit line is seen by no one else, through `auditLog`, `node` or `nodes`: not even the member it is
about, nor the staff member who acted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from domain import audit, models
from domain.audit import AuditRecord
from domain.viewer import staff_viewer
from tests.auth_matrix import FORBID, NULL, OK, OWN_MANAGER, UNAUTH, Club, Read, cases, check_read, make_club, node_read, nodes_read

# fmt: off
READS = {
    #                              anonymous other      the     front   own     other     event   partner club    admin
    #                                        member     member  desk    manager manager   manager manager manager
    "auditLog":                   (UNAUTH,   FORBID,    FORBID, FORBID, FORBID, FORBID,   FORBID, FORBID, OK,     OK),
    "node AuditEntry":            (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   NULL,   OK,     OK),
    "nodes AuditEntry":           (NULL,     NULL,      NULL,   NULL,   NULL,   NULL,     NULL,   NULL,   OK,     OK),
}
WRITES: dict[str, tuple[str, ...]] = {}
# fmt: on


@dataclass
class AuditClub(Club):
    """The club, with one audit line: the member's account manager read their phone."""

    audit_entry: models.AuditEntry


async def make_audit_club() -> AuditClub:
    club = await make_club()
    manager = club.staff[OWN_MANAGER]
    viewer = staff_viewer(manager.id, manager.role)
    await audit.record(viewer, [AuditRecord(models.AuditKind.READ, "Member.phone", member_id=club.member.id)], request_id="r")
    entry = await models.AuditEntry.get()
    return AuditClub(**{field.name: getattr(club, field.name) for field in fields(Club)}, audit_entry=entry)


def _the_entry(club: AuditClub) -> tuple[int, dict[str, str]]:
    return club.audit_entry.id, {}


READ_OPERATIONS = {
    "auditLog": Read(
        "{ auditLog { edges { node { action requestId } } } }",
        lambda club: {},
        lambda club, caller: {"auditLog": {"edges": [{"node": {"action": "Member.phone", "requestId": "r"}}]}},
    ),
    "node AuditEntry": node_read("AuditEntry", _the_entry),
    "nodes AuditEntry": nodes_read("AuditEntry", _the_entry),
}


@pytest.mark.parametrize(("operation", "caller", "outcome"), cases(READS))
async def test_read(client, operation, caller, outcome):
    await check_read(client, await make_audit_club(), READ_OPERATIONS[operation], operation, caller, outcome)
