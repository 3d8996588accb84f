"""Request and response schemas of the 交房即交证 endpoints (public, buyers and staff)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..domain.stages import BLOCKER_KINDS, PROJECT_STAGE_CODES, UNIT_STAGE_CODES
from ..inputs import InputSchema

UNIT_STAGE = validate.OneOf(UNIT_STAGE_CODES, error="未知的办理环节")
PROJECT_STAGE = validate.OneOf(PROJECT_STAGE_CODES, error="未知的项目办理环节")
NOTE = validate.Length(max=500, error="备注不能超过 500 个字符")
REASON = validate.Length(max=500, error="理由不能超过 500 个字符")


def _stage_doc(codes: list[str]) -> str:
    return " / ".join(codes)


# --- shared pieces -----------------------------------------------------------------------------
class StageCountSchema(Schema):
    stage = fields.String(metadata={"description": "单元环节代码"})
    label = fields.String()
    count = fields.Integer()


class BlockerSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": _stage_doc(list(BLOCKER_KINDS))})
    label = fields.String(metadata={"description": "阻碍事项类型（中文）"})
    scope = fields.String(metadata={"description": "project（整个项目）或 case（单个办件）"})
    authority = fields.String(metadata={"description": "负责处理的部门或单位"})
    reason = fields.String()
    since = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolution = fields.String(allow_none=True)


class StaffBlockerSchema(BlockerSchema):
    project_id = fields.Integer()
    case_id = fields.Integer(allow_none=True)


class CaseBlockerCountSchema(Schema):
    kind = fields.String()
    label = fields.String()
    count = fields.Integer()


class ProjectTimelineEntrySchema(Schema):
    stage = fields.String()
    label = fields.String()
    status = fields.String(metadata={"description": "reached / skipped / pending"})
    reached = fields.Boolean()
    reached_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)
    optional = fields.Boolean(metadata={"description": "可选环节（在建建筑物抵押）"})


class ProjectSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    developer = fields.String()
    location = fields.String()
    version = fields.Integer(metadata={"description": "项目版本号（工作人员推进项目环节时提交）"})
    stage = fields.String(
        allow_none=True,
        metadata={"description": "已达到的项目环节：" + _stage_doc(PROJECT_STAGE_CODES)},
    )
    stage_label = fields.String(allow_none=True)
    next_stage = fields.String(allow_none=True)
    ready_for_transfer = fields.Boolean(
        metadata={"description": "已完成房屋所有权首次登记，可以办理转移登记"}
    )
    planned_handover_on = fields.DateTime(allow_none=True)
    units_total = fields.Integer()
    unit_stage_counts = fields.List(fields.Nested(StageCountSchema))
    handed_over_units = fields.Integer()
    handover_reached = fields.Boolean(
        metadata={"description": "项目已实现“交房即交证”（至少一套房屋已同时交房交证）"}
    )
    all_handed_over = fields.Boolean(metadata={"description": "全部房屋均已交房即交证"})
    open_blockers = fields.List(fields.Nested(BlockerSchema), metadata={"description": "项目级"})
    open_case_blockers = fields.List(
        fields.Nested(CaseBlockerCountSchema),
        metadata={"description": "单个办件的阻碍事项，仅按类型计数（不含个人信息）"},
    )


class ProjectDetailSchema(ProjectSchema):
    timeline = fields.List(fields.Nested(ProjectTimelineEntrySchema))


class ProjectListSchema(Schema):
    items = fields.List(fields.Nested(ProjectSchema))


# --- buyers ----------------------------------------------------------------------------------
class TimelineEntrySchema(Schema):
    stage = fields.String()
    label = fields.String()
    status = fields.String(metadata={"description": "reached / skipped / pending"})
    reached = fields.Boolean()
    current = fields.Boolean()
    reached_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)


class NextStepSchema(Schema):
    stage = fields.String()
    label = fields.String()
    buyer_action_required = fields.Boolean(metadata={"description": "需要购房人本人办理"})
    guidance = fields.String(metadata={"description": "办理指引（中文）"})
    blocked = fields.Boolean()
    waiting_for = fields.List(fields.String())


class BuyerBlockerSchema(BlockerSchema):
    blocks_next_step = fields.Boolean()


class CaseProjectSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    developer = fields.String()
    stage = fields.String(allow_none=True)
    stage_label = fields.String(allow_none=True)
    ready_for_transfer = fields.Boolean()


class CertificateLinkSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    issued_at = fields.DateTime()
    verification_url = fields.String(allow_none=True, metadata={"description": "证书核验链接"})


class LicenseLinkSchema(Schema):
    id = fields.Integer()
    license_id = fields.String()
    issued_at = fields.DateTime()
    path = fields.String(metadata={"description": "电子证照接口路径 /api/v1/me/licenses/{id}"})


class LinkedApplicationSchema(Schema):
    id = fields.Integer(metadata={"description": "我的办件 /api/v1/me/applications 中的申请"})
    number = fields.String()
    status = fields.String()
    status_label = fields.String()
    acceptance_number = fields.String(allow_none=True)
    promised_date = fields.Date(allow_none=True)


class BuyerCaseSchema(Schema):
    id = fields.Integer()
    role = fields.String(metadata={"description": "buyer 购房人 / co_buyer 共同购房人"})
    project = fields.Nested(CaseProjectSchema)
    building = fields.String(allow_none=True)
    room = fields.String(allow_none=True)
    location = fields.String()
    area_m2 = fields.Decimal(
        places=2,
        as_string=True,
        metadata={"type": "string", "description": "面积（㎡，两位小数）", "example": "89.50"},
    )
    contract_number = fields.String(metadata={"description": "网签合同号（脱敏）"})
    has_loan = fields.Boolean()
    stage = fields.String()
    stage_label = fields.String()
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    next_step = fields.Nested(NextStepSchema, allow_none=True)
    done_message = fields.String(allow_none=True)
    blockers = fields.List(fields.Nested(BuyerBlockerSchema))
    certificate = fields.Nested(CertificateLinkSchema, allow_none=True)
    e_license = fields.Nested(LicenseLinkSchema, allow_none=True)
    subscribed = fields.Boolean(metadata={"description": "已订阅微信进度通知"})
    application = fields.Nested(
        LinkedApplicationSchema,
        allow_none=True,
        metadata={"description": "开发企业为本房屋提交的转移登记申请（受理、登簿、缮证随其推进）"},
    )
    updated_at = fields.DateTime()


class BuyerCaseListSchema(Schema):
    items = fields.List(fields.Nested(BuyerCaseSchema))


class SubscriptionRequestSchema(InputSchema):
    case_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class SubscriptionSchema(Schema):
    case_id = fields.Integer()
    subscribed = fields.Boolean()
    since = fields.DateTime()


# --- staff -------------------------------------------------------------------------------------
class CaseQuerySchema(InputSchema):
    project_id = fields.Integer(validate=validate.Range(min=1))
    stage = fields.String(validate=UNIT_STAGE)
    contract_number = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "网签合同号（完整或前缀）"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=100, error="每页 1 至 100 条")
    )


class StaffCaseSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    project_name = fields.String()
    unit_id = fields.Integer()
    unit_number = fields.String()
    building = fields.String(allow_none=True)
    room = fields.String(allow_none=True)
    contract_number = fields.String()
    buyer_name = fields.String(metadata={"description": "购房人姓名（脱敏）"})
    co_buyer_name = fields.String(allow_none=True)
    has_loan = fields.Boolean()
    stage = fields.String()
    stage_label = fields.String()
    next_stage = fields.String(allow_none=True)
    next_stage_label = fields.String(allow_none=True)
    version = fields.Integer(
        metadata={"description": "版本号：推进环节时原样提交，用于防止并发覆盖"}
    )
    certificate_id = fields.Integer(allow_none=True)
    open_blockers = fields.List(fields.Nested(StaffBlockerSchema))
    updated_at = fields.DateTime()


class StaffCaseDetailSchema(StaffCaseSchema):
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class CasePageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    items = fields.List(fields.Nested(StaffCaseSchema))


class AdvanceCaseSchema(InputSchema):
    stage = fields.String(
        required=True,
        validate=UNIT_STAGE,
        metadata={
            "description": "目标环节，通常为办件的 next_stage：" + _stage_doc(UNIT_STAGE_CODES)
        },
    )
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    note = fields.String(load_default=None, allow_none=True, validate=NOTE)
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=REASON,
        metadata={"description": "跳过或退回环节的理由（仅管理员；未填写时使用 note）"},
    )


class BulkItemSchema(AdvanceCaseSchema):
    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class BulkAdvanceSchema(InputSchema):
    items = fields.List(
        fields.Nested(BulkItemSchema),
        required=True,
        validate=validate.Length(min=1, max=500, error="一次提交 1 至 500 个办件"),
    )


class BulkResultItemSchema(Schema):
    id = fields.Integer()
    stage = fields.String()
    version = fields.Integer()


class BulkResultSchema(Schema):
    count = fields.Integer()
    items = fields.List(fields.Nested(BulkResultItemSchema))


class AdvanceProjectSchema(InputSchema):
    stage = fields.String(
        required=True,
        validate=PROJECT_STAGE,
        metadata={"description": "目标项目环节：" + _stage_doc(PROJECT_STAGE_CODES)},
    )
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    note = fields.String(load_default=None, allow_none=True, validate=NOTE)
    reason = fields.String(load_default=None, allow_none=True, validate=REASON)
    skipped = fields.Boolean(
        load_default=False,
        metadata={
            "description": "项目未设立在建建筑物抵押：stage=construction_mortgage 标记跳过，"
            "或 stage=completion_survey 直接越过该环节"
        },
    )
    authority = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "在建建筑物抵押的抵押权人（办理该环节时自动登记待解除事项）"},
    )


class BlockerCreateSchema(InputSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(BLOCKER_KINDS), error="未知的阻碍事项类型"),
        metadata={"description": _stage_doc(list(BLOCKER_KINDS))},
    )
    authority = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100, error="请填写处理部门（100 字以内）"),
    )
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=2000, error="请填写原因（2000 字以内）")
    )
    case_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1)
    )


class BlockerResolveSchema(InputSchema):
    resolution = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="请填写处理结果（2000 字以内）"),
    )


class BlockerQuerySchema(InputSchema):
    include_resolved = fields.Boolean(load_default=False)


class BlockerListSchema(Schema):
    items = fields.List(fields.Nested(StaffBlockerSchema))


class ImportResultSchema(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    projects_created = fields.Integer()
    persons_created = fields.Integer()


class OutboxQuerySchema(InputSchema):
    state = fields.String(
        load_default="review",
        validate=validate.OneOf(["review", "failed", "unknown", "pending", "sent"]),
        metadata={"description": "review = failed + unknown（需人工处理）"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class OutboxItemSchema(Schema):
    id = fields.Integer()
    dedupe_key = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    failed_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    msgid = fields.String(allow_none=True)


class OutboxPageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    items = fields.List(fields.Nested(OutboxItemSchema))
