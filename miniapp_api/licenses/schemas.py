"""Marshmallow schemas: my properties, e-licenses, annotated copies, download links."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..document_schemas import DocumentFilesSchema, PurposeField
from ..domain.purposes import COPY_DEFAULT_VALID_DAYS, COPY_MAX_VALID_DAYS, COPY_MIN_VALID_DAYS
from ..inputs import InputSchema


class RegisteredUnitSchema(Schema):
    unit_number = fields.String(metadata={"description": "不动产单元号（28位）"})
    location = fields.String(metadata={"description": "坐落"})
    use = fields.String(metadata={"description": "用途"})
    area_m2 = fields.String(metadata={"description": "面积（㎡，两位小数）", "example": "89.50"})
    right_type = fields.String(metadata={"description": "权利类型"})
    right_nature = fields.String(metadata={"description": "权利性质"})
    land_term = fields.String(allow_none=True, metadata={"description": "使用期限"})


class RightHolderSchema(Schema):
    name = fields.String(metadata={"description": "权利人姓名"})
    share = fields.String(allow_none=True, metadata={"description": "按份共有的份额"})
    is_me = fields.Boolean(metadata={"description": "是否为本人"})


class ActiveEncumbranceSchema(Schema):
    kind = fields.String(
        metadata={"description": "mortgage | seizure | objection | advance_notice"}
    )
    kind_label = fields.String(metadata={"description": "抵押 / 查封 / 异议 / 预告登记"})
    holder = fields.String(metadata={"description": "抵押权人、查封机关或申请人（个人姓名打码）"})
    reason = fields.String(allow_none=True)
    started_at = fields.DateTime()


class CertificateSummarySchema(Schema):
    number = fields.String(metadata={"description": "不动产权证书号"})
    status = fields.String(metadata={"description": "valid | cancelled | superseded"})
    status_label = fields.String(metadata={"description": "现势 / 已注销 / 已换证"})
    issued_at = fields.DateTime()
    status_changed_at = fields.DateTime(allow_none=True)


class MyPropertySchema(Schema):
    right_id = fields.Integer()
    registered_at = fields.DateTime(metadata={"description": "登簿时间"})
    co_ownership = fields.String(metadata={"description": "sole | joint | shares"})
    co_ownership_label = fields.String(metadata={"description": "单独所有 / 共同共有 / 按份共有"})
    my_share = fields.String(allow_none=True)
    holders = fields.List(fields.Nested(RightHolderSchema))
    unit = fields.Nested(RegisteredUnitSchema)
    certificate = fields.Nested(CertificateSummarySchema, allow_none=True)
    license_id = fields.Integer(
        allow_none=True, metadata={"description": "电子证照 id（/api/v1/me/licenses/{id}）"}
    )
    encumbrances = fields.List(
        fields.Nested(ActiveEncumbranceSchema), metadata={"description": "现存的抵押、查封等"}
    )


class ElectronicLicenseSchema(Schema):
    id = fields.Integer(metadata={"description": "电子证照 id（用于本接口路径）"})
    license_id = fields.String(metadata={"description": "证照标识 1.2.156.3005.2.…"})
    issued_at = fields.DateTime()
    certificate = fields.Nested(CertificateSummarySchema)
    superseded_by_number = fields.String(allow_none=True, metadata={"description": "换发的新证号"})
    co_ownership = fields.String()
    co_ownership_label = fields.String()
    holders = fields.List(fields.Nested(RightHolderSchema))
    unit = fields.Nested(RegisteredUnitSchema)
    current = fields.Boolean(metadata={"description": "权利是否现势"})
    encumbrances = fields.List(fields.Nested(ActiveEncumbranceSchema))
    can_copy = fields.Boolean(metadata={"description": "能否制作加注件"})
    cannot_copy_reason = fields.String(allow_none=True)


class LicenseCopyRequestSchema(InputSchema):
    purpose = PurposeField()
    valid_days = fields.Integer(
        strict=True,
        load_default=COPY_DEFAULT_VALID_DAYS,
        validate=validate.Range(
            COPY_MIN_VALID_DAYS,
            COPY_MAX_VALID_DAYS,
            error=f"有效天数须在{COPY_MIN_VALID_DAYS}到{COPY_MAX_VALID_DAYS}天之间",
        ),
        error_messages={"invalid": "有效天数须为整数", "null": "有效天数须为整数"},
        metadata={"description": "加注件有效天数（1–90，默认30）", "example": 30},
    )


class LicenseCopySchema(DocumentFilesSchema):
    id = fields.String(metadata={"description": "加注件 id（随机，用于路径）"})
    license = fields.Integer(metadata={"description": "电子证照 id"})
    serial = fields.String(metadata={"description": "加注件编号"})
    certificate_number = fields.String()
    maker = fields.String(metadata={"description": "制作者"})
    watermark = fields.String(metadata={"description": "水印文字：仅供办理{事由}使用"})
    notes = fields.List(fields.String(), metadata={"description": "附记（制作时的抵押、查封等）"})
    created_at = fields.DateTime(metadata={"description": "制作时间"})
    valid_until = fields.DateTime(metadata={"description": "有效期截止"})
    verification_url = fields.String(metadata={"description": "核验链接（二维码内容）"})
