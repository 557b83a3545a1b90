"""domain/privacy.py's `Levels`: the matrix asked once per kind of member gives what `access` gives for each."""

from __future__ import annotations

import itertools

from domain import privacy
from domain.models import StaffRole
from domain.privacy import Sensitive
from domain.viewer import ANONYMOUS, member_viewer, partner_viewer, staff_viewer

VIEWERS = [ANONYMOUS, member_viewer(7), partner_viewer(3)] + [staff_viewer(7, role) for role in StaffRole]
# (member id, account manager id): the viewer's own record, a member the staff viewer manages, another
# member, one with no manager; id 7 is the member viewer and the staff viewer alike.
MEMBERS = [(7, None), (8, 7), (9, 5), (10, None), (11, 7)]


def test_levels_answer_as_access_does_for_every_viewer_field_and_member_in_any_order():
    for viewer in VIEWERS:
        for order in (MEMBERS, MEMBERS[::-1]):
            levels = privacy.Levels(viewer)
            for (member_id, manager_id), field in itertools.product(order, Sensitive):
                expected = privacy.access(viewer, field, member_id=member_id, account_manager_id=manager_id)
                assert levels.of(field, member_id=member_id, account_manager_id=manager_id) is expected, (
                    viewer, field, member_id, manager_id,
                )
