"""What a partner's API key may call: a short allow-list of root fields, checked before anything runs.

A partner viewer has no role and no member id, so every permission check in the domain refuses it
already; this guard makes that hold for every operation, present and future, at one place: a root
field not listed here is refused FORBIDDEN without being resolved. Partner operations of later
slices are added to PARTNER_FIELDS.
"""

from __future__ import annotations

from graphql import ExecutionResult, GraphQLError
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from schema.base import root_fields

PARTNER_FIELDS = frozenset(
    {
        "me",
        "__typename",
        "__schema",
        "__type",
        # The partner API (schema/partners/counter_queries.py and mutations): each checks the caller itself.
        "voucherValidate",
        "voucherConsume",
        "partnerPointsAward",
        "partnerCatalogPush",
        "settlementStatement",
    }
)


class PartnerGuard(SchemaExtension):
    def on_execute(self):  # type: ignore[no-untyped-def]
        context = self.execution_context
        viewer = getattr(context.context, "viewer", None)
        document = context.graphql_document
        if viewer is not None and viewer.is_partner and document is not None:
            operation = get_operation_ast(document, context.operation_name)
            if operation is not None:
                fields = root_fields(document, operation.selection_set)
                refused = [field for field in fields if field.name.value not in PARTNER_FIELDS]
                if refused:
                    name = refused[0].name.value
                    context.result = ExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                f"A partner's API key may not use `{name}`",
                                nodes=refused[0],
                                path=[(refused[0].alias or refused[0].name).value],
                                extensions={"code": "FORBIDDEN"},
                            )
                        ],
                    )
        yield
