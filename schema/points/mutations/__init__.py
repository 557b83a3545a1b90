"""Points mutations, one per module, composed here."""

from __future__ import annotations

import strawberry

from schema.points.mutations.points_adjust import points_adjust
from schema.points.mutations.points_transfer import points_transfer
from schema.points.mutations.purchase_record import purchase_record
from schema.points.mutations.purchase_refund import purchase_refund


@strawberry.type
class PointsMutation:
    purchase_record = strawberry.mutation(
        resolver=purchase_record, description="Record a purchase and credit the points it earns (staff)."
    )
    purchase_refund = strawberry.mutation(
        resolver=purchase_refund, description="Refund a purchase and take back the points it earned (staff)."
    )
    points_adjust = strawberry.mutation(
        resolver=points_adjust, description="Add or remove points by hand, with a reason (staff)."
    )
    points_transfer = strawberry.mutation(
        resolver=points_transfer, description="Give points from your own account to another member (members)."
    )
