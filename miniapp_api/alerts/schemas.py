"""Request and response shapes of the alert endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..inputs import CleanText, InputSchema
from ..models.alerts import ALERT_KINDS


class PageQuerySchema(InputSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class HoldSchema(Schema):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "cleared"]})
    created_at = fields.DateTime(required=True)
    cleared_at = fields.DateTime(allow_none=True)
    clear_reason = fields.String(allow_none=True)


class StaffHoldSchema(HoldSchema):
    disputed_by = fields.Dict(metadata={"description": "提出异议的权利人（脱敏姓名）"})
    note = fields.String(allow_none=True)


class StaffHoldListSchema(Schema):
    items = fields.List(fields.Nested(StaffHoldSchema), required=True)


class AlertSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(ALERT_KINDS)})
    kind_label = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    unit_number = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    detail = fields.Dict(required=True, metadata={"description": "按类型的明细（已脱敏）"})
    application_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    read = fields.Boolean(required=True)
    read_at = fields.DateTime(allow_none=True)
    disputable = fields.Boolean(required=True, metadata={"description": "可点击“这不是我办的”"})
    dispute = fields.Nested(HoldSchema, allow_none=True)


class AlertPageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    unread = fields.Integer(required=True, metadata={"description": "未读提醒数"})
    items = fields.List(fields.Nested(AlertSchema), required=True)


class SettingInputSchema(InputSchema):
    unit_number = fields.String(required=True, validate=validate.Length(equal=28))
    enabled = fields.Boolean(required=True)


class SettingSchema(Schema):
    unit_number = fields.String(required=True)
    location = fields.String(required=True)
    enabled = fields.Boolean(required=True)


class SettingListSchema(Schema):
    items = fields.List(fields.Nested(SettingSchema), required=True)


class DisputeInputSchema(InputSchema):
    note = fields.String(validate=[validate.Length(max=500), CleanText()])


class DisputeSchema(Schema):
    alert_id = fields.Integer(required=True)
    hold = fields.Nested(HoldSchema, required=True)
    message = fields.String(required=True)


class ClearInputSchema(InputSchema):
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=200), CleanText()],
        metadata={"description": "核查结论"},
    )
