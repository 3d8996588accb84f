"""Request and response schemas of utility transfers (水电气联动过户).

The ``utilities`` field of an application view and the ``utility_transfers`` figures are
part of the applications' own schemas (``applications/schemas.py``): utilities build on
applications, never the other way round.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from ..applications.schemas import (
    UTILITY_STATES,
    UtilityStateSchema,
    one_per_service,
)
from ..inputs import CleanText, InputSchema
from ..models.utilities import UTILITY_SERVICES, UTILITY_STEPS

RESULTS = ("ok", "arrears", "completed", "failed")
STATES = UTILITY_STATES


def _text(max_len: int, **kwargs: object) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_len), CleanText()], **kwargs)  # type: ignore[arg-type]


# --- changing the choice ------------------------------------------------------------------------
class UtilityChoiceSchema(InputSchema):
    service = fields.String(required=True, validate=validate.OneOf(UTILITY_SERVICES))
    account_number = _text(30, metadata={"description": "原户号（已知时填写）"})


class UtilityChoicesSchema(InputSchema):
    utilities = fields.List(
        fields.Nested(UtilityChoiceSchema),
        required=True,
        validate=[validate.Length(max=3), one_per_service],
        metadata={"description": "空列表表示不再联动过户"},
    )


class UtilityChoicesAnswerSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    utilities = fields.List(fields.Nested(UtilityStateSchema), required=True)


# --- the utility-facing task ---------------------------------------------------------------------
class TaskAnswerViewSchema(Schema):
    result = fields.String(required=True, metadata={"enum": list(RESULTS)})
    amount_due = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    account_number = fields.String(allow_none=True, metadata={"description": "新户号"})
    answered_at = fields.DateTime(required=True)


class UtilityTaskSchema(Schema):
    """What a utility sees: no ID numbers (PIPL minimum necessary)."""

    id = fields.Integer(required=True)
    service = fields.String(required=True, metadata={"enum": list(UTILITY_SERVICES)})
    step = fields.String(required=True, metadata={"enum": list(UTILITY_STEPS)})
    step_label = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["pending", "answered", "cancelled"]})
    acceptance_number = fields.String(allow_none=True, metadata={"description": "受理编号"})
    address = fields.String(required=True, metadata={"description": "房屋坐落"})
    unit_number = fields.String(required=True, metadata={"description": "不动产单元号"})
    old_holders = fields.List(fields.String(), required=True, metadata={"description": "原户主"})
    new_holders = fields.List(fields.String(), required=True, metadata={"description": "新户主"})
    contact_phones = fields.List(
        fields.String(), required=True, metadata={"description": "买方联系电话（如提供）"}
    )
    old_account_number = fields.String(allow_none=True, metadata={"description": "原户号"})
    created_at = fields.DateTime(required=True)
    due_date = fields.Date(required=True, metadata={"description": "应答期限（2 个工作日）"})
    overdue = fields.Boolean(required=True)
    answer = fields.Nested(TaskAnswerViewSchema, allow_none=True)


class UtilityTaskPageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(UtilityTaskSchema), required=True)


class StaffUtilityTaskSchema(UtilityTaskSchema):
    application_id = fields.Integer(required=True)
    application_number = fields.String(required=True)
    overdue_working_days = fields.Integer(required=True)
    last_reminded_on = fields.Date(allow_none=True)


class StaffUtilityTaskPageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(StaffUtilityTaskSchema), required=True)


class TaskQuerySchema(InputSchema):
    status = fields.String(
        load_default="pending", validate=validate.OneOf(("pending", "answered", "cancelled", "all"))
    )
    step = fields.String(validate=validate.OneOf(UTILITY_STEPS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class StaffTaskQuerySchema(TaskQuerySchema):
    overdue = fields.Boolean(load_default=False)
    service = fields.String(validate=validate.OneOf(UTILITY_SERVICES))


def _positive_amount(value: Decimal) -> None:
    if not Decimal(0) < value <= Decimal(10**9):
        raise ValidationError("金额须大于 0 且不超过 10 亿元")


class TaskAnswerSchema(InputSchema):
    result = fields.String(required=True, validate=validate.OneOf(RESULTS))
    account_number = _text(30, metadata={"description": "transfer/completed：新户号"})
    amount_due = fields.Decimal(
        places=2,
        as_string=True,
        validate=_positive_amount,  # not validate.Range: apispec would print its bounds as strings
        metadata={"description": "check/arrears：欠费金额（元，大于 0，不超过 10 亿）"},
    )
    reason = _text(200, metadata={"description": "arrears / failed：原因"})
