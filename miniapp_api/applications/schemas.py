"""Request and response schemas of registration applications (一窗办事)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from ..domain.validators import is_valid_id_number, is_valid_unit_number, normalize_id_number
from ..inputs import CleanText, InputSchema
from ..models.applications import APPLICATION_KINDS, APPLICATION_STATUSES, MATERIAL_KINDS
from ..models.utilities import UTILITY_SERVICES


def _text(max_len: int, **kwargs: object) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_len), CleanText()], **kwargs)  # type: ignore[arg-type]


MONEY = validate.Regexp(
    r"^(0|[1-9]\d{0,10})(\.\d{1,2})?$", error="金额格式不正确（元，最多两位小数）"
)


UTILITY_STATES = ("pending_check", "ok", "arrears", "completed", "failed")


# --- 水电气联动过户 on an application view (miniapp_api/utilities fills them in) --------------
class UtilityStateSchema(Schema):
    service = fields.String(required=True, metadata={"enum": list(UTILITY_SERVICES)})
    service_label = fields.String(required=True)
    account_number = fields.String(allow_none=True, metadata={"description": "原户号"})
    state = fields.String(required=True, metadata={"enum": list(UTILITY_STATES)})
    state_label = fields.String(
        required=True,
        metadata={"description": "待核验 / 可过户 / 有欠费 ¥… / 已过户 新户号 … / 失败 原因"},
    )
    amount_due = fields.String(allow_none=True, metadata={"description": "欠费金额（元）"})
    reason = fields.String(allow_none=True)
    new_account_number = fields.String(allow_none=True, metadata={"description": "新户号"})
    transfer_requested = fields.Boolean(
        required=True, metadata={"description": "登簿后已通知该单位办理过户"}
    )


class UtilityFiguresSchema(Schema):
    requested = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    median_working_days = fields.Float(
        allow_none=True, metadata={"description": "登簿到过户完成的工作日数（中位数）"}
    )


def one_per_service(items: list[dict[str, object]]) -> None:
    services = [item["service"] for item in items]
    if len(services) != len(set(services)):
        raise ValidationError("每种服务（水、电、气）只能选择一次")


class PartyInputSchema(InputSchema):
    role = fields.String(required=True, validate=validate.OneOf(("obligor", "obligee")))
    name = _text(64, required=True)
    id_number = fields.String(required=True, validate=validate.Length(equal=18))
    share = fields.String(validate=validate.Regexp(r"^(\d{1,3}(\.\d{1,2})?%|\d{1,3}/\d{1,3})$"))
    phone = fields.String(validate=validate.Regexp(r"^1\d{10}$"))

    @validates("id_number")
    def _id_number(self, value: str, **_: object) -> None:
        if not is_valid_id_number(normalize_id_number(value)):
            raise ValidationError("身份证号码不正确")


class UtilityInputSchema(InputSchema):
    service = fields.String(required=True, validate=validate.OneOf(("water", "power", "gas")))
    account_number = _text(30, metadata={"description": "原户号（卖方的水/电/气户号，已知时填写）"})


class ApplicationCreateSchema(InputSchema):
    kind = fields.String(required=True, validate=validate.OneOf(APPLICATION_KINDS))
    unit_number = fields.String(required=True)
    parties = fields.List(
        fields.Nested(PartyInputSchema), load_default=list, validate=validate.Length(max=20)
    )
    price = fields.String(validate=MONEY, metadata={"description": '成交价（元），如 "850000.00"'})
    contract_number = _text(40)
    loan_amount = fields.String(validate=MONEY, metadata={"description": "被担保债权数额（元）"})
    term_months = fields.Integer(validate=validate.Range(min=1, max=600))
    encumbrance_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    registration_certificate_number = _text(40)
    utilities = fields.List(
        fields.Nested(UtilityInputSchema),
        validate=[validate.Length(max=3), one_per_service],
        metadata={"description": "水电气联动过户（仅转移登记），见 docs/utilities.md"},
    )

    @validates("unit_number")
    def _unit_number(self, value: str, **_: object) -> None:
        if not is_valid_unit_number(value):
            raise ValidationError("不动产单元号格式不正确（28 位）")


class PartySchema(Schema):
    role = fields.String(required=True)
    role_label = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "已脱敏"})
    id_number = fields.String(required=True, metadata={"description": "已脱敏"})
    phone = fields.String(allow_none=True)
    share = fields.String(allow_none=True)
    confirmed = fields.Boolean(required=True)
    declined = fields.Boolean(required=True)
    confirmed_at = fields.DateTime(allow_none=True)


class TimelineItemSchema(Schema):
    action = fields.String(required=True)
    label = fields.String(required=True)
    at = fields.DateTime(required=True)


class TracksSchema(Schema):
    contract_filing = fields.Boolean(required=True)
    tax = fields.Boolean(required=True)


class ApplicationSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "申请编号"})
    kind = fields.String(required=True)
    kind_label = fields.String(required=True)
    channel = fields.String(required=True)
    channel_label = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(APPLICATION_STATUSES)})
    status_label = fields.String(required=True)
    unit_number = fields.String(required=True)
    location = fields.String(required=True)
    parties = fields.List(fields.Nested(PartySchema), required=True)
    acceptance_number = fields.String(allow_none=True, metadata={"description": "受理编号"})
    accepted_at = fields.DateTime(allow_none=True)
    promised_date = fields.Date(allow_none=True, metadata={"description": "承诺办结日期"})
    reason = fields.String(allow_none=True)
    tracks = fields.Nested(TracksSchema, required=True)
    timeline = fields.List(fields.Nested(TimelineItemSchema), required=True)
    filed_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)
    version = fields.Integer(required=True)
    # 产权变动提醒 (miniapp_api/alerts): a holder said "这不是我办的"; registration waits.
    under_review = fields.Boolean(metadata={"description": "权利人提出异议，正在核查（暂停登簿）"})
    under_review_note = fields.String(allow_none=True)
    contract_number = fields.String()
    price = fields.String()
    loan_amount = fields.String()
    term_months = fields.Integer()
    encumbrance_id = fields.Integer()
    result_certificate_id = fields.Integer()
    handover_case_id = fields.Integer(
        metadata={"description": "该房屋的交房即交证办件（/api/v1/me/handover/{id}），随本申请推进"}
    )
    utilities = fields.List(
        fields.Nested(UtilityStateSchema), metadata={"description": "水电气联动过户各项的状态"}
    )


class CitizenApplicationSchema(ApplicationSchema):
    role = fields.String(allow_none=True)
    role_label = fields.String(allow_none=True)
    my_confirmation = fields.String(required=True)
    can_confirm = fields.Boolean(required=True)


class CitizenApplicationListSchema(Schema):
    items = fields.List(fields.Nested(CitizenApplicationSchema), required=True)


class ApplicationPageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer()
    items = fields.List(fields.Nested(ApplicationSchema), required=True)


class ListQuerySchema(InputSchema):
    status = fields.String(validate=validate.OneOf(APPLICATION_STATUSES))
    kind = fields.String(validate=validate.OneOf(APPLICATION_KINDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class ConfirmSchema(InputSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("confirm", "decline")))
    reason = _text(200)


class VersionSchema(InputSchema):
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class ReasonVersionSchema(VersionSchema):
    reason = _text(200, required=True)


class AdvanceSchema(VersionSchema):
    stage = fields.String(
        required=True, validate=validate.OneOf(("reviewed", "registered", "certified", "completed"))
    )
    note = _text(200)


class TrackSchema(InputSchema):
    reference = _text(60, required=True)


class TaxReportSchema(InputSchema):
    paid = fields.Boolean(required=True, validate=validate.Equal(True))
    receipt_number = _text(60, required=True)


class MaterialFormSchema(InputSchema):
    kind = fields.String(required=True, validate=validate.OneOf(MATERIAL_KINDS))


class MaterialSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)


class MaterialListSchema(Schema):
    items = fields.List(fields.Nested(MaterialSchema), required=True)


class WebhookSetSchema(InputSchema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=500))


class WebhookSchema(Schema):
    url = fields.String(required=True)
    active = fields.Boolean(required=True)
    secret = fields.String(metadata={"description": "whsec_…，只在设置时返回一次"})


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    message_id = fields.String(required=True)
    event_type = fields.String(required=True)
    state = fields.String(required=True)
    attempts = fields.Integer(required=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    next_attempt_at = fields.DateTime(required=True)
    delivered_at = fields.DateTime(allow_none=True)


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


class LookupQuerySchema(InputSchema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=24))
    name = _text(64, required=True)


class LookupSchema(Schema):
    number = fields.String(required=True)
    acceptance_number = fields.String(allow_none=True)
    kind_label = fields.String(required=True)
    status = fields.String(required=True)
    status_label = fields.String(required=True)
    location = fields.String(required=True, metadata={"description": "已脱敏"})
    parties = fields.List(fields.String(), required=True)
    promised_date = fields.Date(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineItemSchema), required=True)


class StatsQuerySchema(InputSchema):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)


class StatsSchema(Schema):
    total = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    completion_rate = fields.Float(required=True)
    on_time_rate = fields.Float(required=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_channel = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    utility_transfers = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(UtilityFiguresSchema),
        metadata={"description": "水电气联动过户：water / power / gas"},
    )


class DocumentRowsSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    encumbrance_id = fields.Integer(allow_none=True)
    verification_url = fields.String(allow_none=True)
    title = fields.String()
    rows = fields.List(fields.Dict(), required=True)


class WorkingDaySetSchema(InputSchema):
    is_workday = fields.Boolean(required=True)
    note = _text(60)


class WorkingDaySchema(Schema):
    day = fields.Date(required=True)
    is_workday = fields.Boolean(required=True)
    note = fields.String(allow_none=True)
