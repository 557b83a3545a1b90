"""Voucher rules at the counter, with the clock in the test's hands."""

from datetime import datetime, timedelta, timezone

import pytest

from domain import models, vouchers
from domain.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.viewer import ANONYMOUS, member_viewer, partner_viewer, staff_viewer
from tests.factories import make_member, make_partner, make_voucher

EXPIRES = datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc)


async def _voucher() -> tuple[models.Partner, models.Voucher]:
    partner = await make_partner()
    voucher = await make_voucher(await make_member(), partner, code="WINE-1", expires_at=EXPIRES)
    return partner, voucher


@pytest.mark.parametrize(("now", "valid"), [(EXPIRES - timedelta(microseconds=1), True), (EXPIRES, False)])
async def test_a_voucher_is_valid_until_the_instant_it_expires(now, valid):
    # given
    partner, _ = await _voucher()
    # when
    view = await vouchers.validate_voucher(viewer=partner_viewer(partner.id), code="WINE-1", now=now)
    # then
    assert view.valid is valid


async def test_a_voucher_taken_the_instant_before_it_expires_is_consumed_and_at_the_instant_refused():
    # given
    partner, voucher = await _voucher()
    viewer = partner_viewer(partner.id)
    # when
    with pytest.raises(DomainError) as refused:
        await vouchers.consume_voucher(viewer=viewer, code="WINE-1", idempotency_key="a", now=EXPIRES)
    taken = await vouchers.consume_voucher(
        viewer=viewer, code="WINE-1", idempotency_key="b", now=EXPIRES - timedelta(seconds=1)
    )
    # then
    assert (refused.value.code, refused.value.message) == ("EXPIRED", "This voucher expired on 2026-12-31 at 23:00 UTC")
    assert taken == {"voucher_id": voucher.id}
    row = await models.Voucher.get(id=voucher.id)
    assert (row.status, row.consumed_at) == (models.VoucherStatus.CONSUMED, EXPIRES - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("viewer", "error"),
    [
        (ANONYMOUS, NotAuthenticated),
        (member_viewer(1), PermissionDenied),
        (staff_viewer(1, models.StaffRole.ACCOUNT_MANAGER), PermissionDenied),
        (staff_viewer(1, models.StaffRole.PARTNER_MANAGER), PermissionDenied),
    ],
)
def test_only_partners_and_staff_who_take_vouchers_have_a_counter(viewer, error):
    with pytest.raises(error):
        vouchers.counter_partner_id(viewer)


def test_a_partner_counts_as_its_own_counter_and_the_front_desk_as_the_clubs():
    assert vouchers.counter_partner_id(partner_viewer(7)) == 7
    assert vouchers.counter_partner_id(staff_viewer(1, models.StaffRole.FRONT_DESK)) is None
