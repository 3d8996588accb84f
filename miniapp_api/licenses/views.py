"""My properties, electronic licenses (电子证照) and annotated copies (加注件) — endpoints."""

from __future__ import annotations

from typing import Any

from flask import g

from .. import downloads
from ..auth.guards import BEARER, NOT_OWN, citizen_required, citizen_route
from ..document_schemas import DocumentPurposeSchema
from ..domain.purposes import purposes_payload
from ..extensions import limiter
from ..kinds import LICENSE_COPY
from . import bp, service, showing
from .schemas import (
    ElectronicLicenseSchema,
    LicenseCopyRequestSchema,
    LicenseCopySchema,
    MyPropertySchema,
)

COPY_PATH = "/me/licenses/<int:license_id>/copies/<string:copy_id>"


@citizen_route(
    bp,
    "get",
    "/me/properties",
    MyPropertySchema(many=True),
    summary="我的不动产",
    description="本人现势的全部权利（单独所有或共有）：单元、坐落、面积、用途、权利类型、"
    "证书号及状态、现存的抵押查封等。",
)
def my_properties() -> list[dict[str, Any]]:
    return service.my_properties(g.person)


@bp.get("/purposes")
@bp.response(200, DocumentPurposeSchema(many=True))
@bp.doc(
    summary="常用事由",
    description="加注件和房屋证明的常用事由及房屋证明有效天数；选择“其他”时请填写具体事由"
    "（任意文字，1–30 字）。",
)
def purposes() -> list[dict[str, Any]]:
    return purposes_payload()


@citizen_route(bp, "get", "/me/licenses", ElectronicLicenseSchema(many=True))
def list_licenses() -> list[dict[str, Any]]:  # OpenAPI summary and description: the docstring
    """我的电子证照

    本人作为权利人的不动产权证书电子证照（共有人各自可见），现势证书在前。
    """
    return service.list_licenses(g.person)


@citizen_route(
    bp,
    "get",
    "/me/licenses/<int:license_id>",
    ElectronicLicenseSchema,
    errors={404: NOT_OWN},
    summary="电子证照详情",
)
def get_license(license_id: int) -> dict[str, Any]:
    return service.view_license(g.person, license_id)


@citizen_route(
    bp,
    "get",
    "/me/licenses/<int:license_id>/copies",
    LicenseCopySchema(many=True),
    errors={404: NOT_OWN},
    summary="我制作的加注件",
)
def list_copies(license_id: int) -> list[dict[str, Any]]:
    copies = service.list_copies(g.person, license_id)
    return [service.copy_dict(c, account_id=g.account.id) for c in copies]


@citizen_route(
    bp,
    "post",
    "/me/licenses/<int:license_id>/copies",
    LicenseCopySchema,
    status=201,
    arguments=LicenseCopyRequestSchema,
    limit=downloads.ISSUE_RATE,
    errors={
        404: NOT_OWN,
        409: "证书已注销或已换证，不能制作加注件",
        422: "事由或有效天数不符合要求",
    },
    summary="制作加注件",
    description="为一个事由制作电子证照加注件：记录并打印制作者、制作时间、事由、有效期截止和"
    "附记（当时的抵押、查封等），水印“仅供办理{事由}使用”，带独立的签名二维码。"
    "返回中含 download_links（无需登录头的短时下载链接，适用于微信内置浏览器）。",
)
def make_copy(data: dict[str, Any], license_id: int) -> dict[str, Any]:
    copy = service.make_copy(g.person, license_id, data["purpose"], data["valid_days"])
    return service.copy_dict(copy, account_id=g.account.id)


@citizen_route(
    bp,
    "get",
    COPY_PATH,
    LicenseCopySchema,
    errors={404: NOT_OWN},
    summary="加注件详情（含短时下载链接）",
)
def get_copy(license_id: int, copy_id: str) -> dict[str, Any]:
    copy = service.view_copy(g.person, license_id, copy_id)
    return service.copy_dict(copy, account_id=g.account.id)


downloads.add_document_routes(
    bp,
    citizen_required,
    COPY_PATH,
    LICENSE_COPY,
    lambda license_id, copy_id: service.get_copy(g.person, license_id, copy_id),
    title="加注件",
    links_description="短时（≤10 分钟）签名链接，绑定本文书、格式和本人账号，无需登录头即可打开"
    "PNG（可长按保存）或 PDF。",
)


@bp.post("/me/licenses/<int:license_id>/show")
@citizen_required
@limiter.limit("20 per minute", key_func=downloads.account_key)
@bp.response(200, showing.ShowLinkSchema)
@bp.alt_response(404, description="不存在或不属于本人")
@bp.alt_response(409, description="证书已注销或已换证，不能亮证")
@bp.doc(
    summary="亮证",
    description="本人电子证照的图片（带“仅供查看”水印、亮证时间和亮证核验二维码）的短时链接；"
    "请每 refresh_seconds（默认 60）秒重新获取一次。图片中的二维码是同一证书的短时核验码"
    "（qr_expires_at 后核验为「亮证码已过期」），纸质证书上的二维码不受影响。"
    "不生成加注件，不需要事由。",
    security=BEARER,
)
def show_license(license_id: int) -> dict[str, Any]:
    return showing.show_link(service.get_license(g.person, license_id), g.account.id)


from . import files  # noqa: E402,F401  (header-free downloads)
