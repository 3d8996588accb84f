"""Request and response schemas of the staff certificate endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..inputs import InputSchema
from ..models import ENCUMBRANCE_KINDS


class CertificateQuerySchema(InputSchema):
    number = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "证书号（全角括号亦可）"},
    )


class ReasonSchema(InputSchema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"description": "事由"}
    )


class EncumbranceCreateSchema(InputSchema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(ENCUMBRANCE_KINDS),
        metadata={"description": "mortgage | seizure | objection | advance_notice"},
    )
    holder = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "抵押权人、查封机关或申请人"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "登记原因，如 个人住房贷款抵押、(2026)湘0681执保12号"},
    )


class SupersedeSchema(ReasonSchema):
    replacement_certificate_id = fields.Integer(
        load_default=None,
        metadata={"description": "已签发的新证书 id；省略则为同一权利换发新证"},
    )


class StaffEncumbranceSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    holder = fields.String()
    reason = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    release_reason = fields.String(allow_none=True)
    active = fields.Boolean()


class StaffHolderSchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    id_number = fields.String(metadata={"description": "身份证号（完整，仅工作人员可见）"})
    share = fields.String(allow_none=True)


class StaffUnitSchema(Schema):
    unit_number = fields.String()
    location = fields.String()
    use = fields.String()
    area_m2 = fields.String()
    right_type = fields.String()
    right_nature = fields.String()
    land_term = fields.String(allow_none=True)


class StaffDocumentSchema(Schema):
    document_id = fields.String()
    kind = fields.String()
    kid = fields.String()
    issued_at = fields.DateTime()
    url = fields.String()


class StaffCertificateSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.String()
    print_serial = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_changed_at = fields.DateTime(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)
    superseded_by_number = fields.String(allow_none=True)
    issued_at = fields.DateTime()
    rights_holder_org = fields.String(allow_none=True)
    license_id = fields.String(allow_none=True)
    right_id = fields.Integer()
    co_ownership = fields.String()
    unit = fields.Nested(StaffUnitSchema)
    holders = fields.List(fields.Nested(StaffHolderSchema))
    encumbrances = fields.List(fields.Nested(StaffEncumbranceSchema))
    documents = fields.List(fields.Nested(StaffDocumentSchema))


class SupersedeResultSchema(Schema):
    certificate = fields.Nested(StaffCertificateSchema)
    replacement = fields.Nested(StaffCertificateSchema)
