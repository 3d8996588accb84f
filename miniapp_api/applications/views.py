"""Endpoints of registration applications: decorators, one service call, the commit."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import kinds, unit_of_work
from ..auth.guards import citizen_required, staff_route
from ..database import db
from ..downloads import content_disposition
from ..errors import Problem
from ..extensions import limiter
from ..inputs import allow_body
from ..partners.guards import partner_route
from . import (
    bp,
    materials,
    read,
    regcert,
    reports,
    service,
    tracks,
    webhooks,
    window,
    workdays,
)
from . import schemas as s
from .idempotency import HEADER_PARAMETERS, partner_post

ROLES = ("clerk", "admin")
_STALE = {409: "版本已变化或状态不允许"}


def _commit() -> None:
    """The request's work is done (flushed; the unit of work commits at the edge); a lost
    race is a 409 (nothing written)."""
    try:
        unit_of_work.done()
    except StaleDataError:
        db.session.rollback()
        raise Problem(409, "version_conflict", "该申请已被他人同时修改，请刷新后重试") from None
    except IntegrityError:
        db.session.rollback()
        raise Problem(409, "conflict", "数据已被他人同时修改，请刷新后重试") from None


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Problem(409, "version_conflict", "该申请已被他人同时修改，请刷新后重试") from None


def _partner_actor() -> str:
    return f"partner:{g.partner.id}"


def _staff_actor() -> str:
    return f"staff:{g.staff.username}"[:40]


# --- partners ------------------------------------------------------------------------------------
_NOT_OURS = {404: "不是本机构的申请或不存在"}


def _material_edge(view: Any) -> Any:
    return allow_body(materials.MAX_BODY_BYTES)(partner_post(view))


@partner_route(
    bp,
    "post",
    "/partner/applications",
    s.ApplicationSchema,
    status=201,
    arguments=s.ApplicationCreateSchema,
    errors={
        403: "本机构不能提交此类申请",
        404: "不动产单元不存在",
        409: "unit_seized / unit_under_objection / application_in_progress / "
        "not_the_holders / not_your_mortgage / handover_case_conflict / idempotency_in_progress",
        422: "填写有误，或幂等键已用于另一个请求",
    },
    edge=partner_post,
    parameters=HEADER_PARAMETERS,
)
def partner_file(data: dict[str, Any]) -> dict[str, Any]:
    """提交登记申请（银行：抵押、注销抵押；中介、开发企业：转移登记）

    Checks the unit (seizure, objection, an open application of the same kind), the obligors
    against the register (without revealing the holders) and the partner's kind; the parties
    are then asked to confirm in WeChat. `Idempotency-Key` makes a retry safe.
    """
    filer = service.Filer(channel="partner", partner=g.partner, actor=_partner_actor())
    return read.application_view(service.file_application(filer, data))


@partner_route(bp, "get", "/partner/applications", s.ApplicationPageSchema, query=s.ListQuerySchema)
def partner_list(query: dict[str, Any]) -> dict[str, Any]:
    """本机构提交的申请（只含本机构的）"""
    return service.list_for_partner(
        g.partner, query.get("status"), query["page"], query["per_page"]
    )


@partner_route(
    bp, "get", "/partner/applications/<int:app_id>", s.ApplicationSchema, errors=_NOT_OURS
)
def partner_get(app_id: int) -> dict[str, Any]:
    """本机构的一件申请（其他机构的申请为 404）"""
    return read.application_view(service.own_application(g.partner, app_id))


@partner_route(
    bp,
    "post",
    "/partner/applications/<int:app_id>/withdraw",
    s.ApplicationSchema,
    errors={**_NOT_OURS, 409: "已登簿或已结束"},
    edge=partner_post,
)
def partner_withdraw(app_id: int) -> dict[str, Any]:
    """撤回申请（登簿之前）"""
    app = service.withdraw(service.own_application(g.partner, app_id), _partner_actor())
    _flush_or_conflict()
    return read.application_view(app)


@partner_route(
    bp,
    "post",
    "/partner/applications/<int:app_id>/resubmit",
    s.ApplicationSchema,
    errors={**_NOT_OURS, 409: "不在补正状态"},
    edge=partner_post,
)
def partner_resubmit(app_id: int) -> dict[str, Any]:
    """补正后重新提交（回到补正前的状态，时限顺延）"""
    app = service.resubmit(service.own_application(g.partner, app_id), _partner_actor())
    _flush_or_conflict()
    return read.application_view(app)


@partner_route(
    bp,
    "post",
    "/partner/applications/<int:app_id>/tax",
    s.TracksSchema,
    arguments=s.TaxReportSchema,
    errors={403: "仅税务机关", 404: "申请不存在", 409: "不需要或已办结"},
    edge=partner_post,
)
def partner_tax(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """税务机关报送契税已缴（转移登记的缴税环节）"""
    app = service.tax_application(g.partner, app_id)
    tracks.report_tax(app, data["receipt_number"], _partner_actor())
    _flush_or_conflict()
    return {"contract_filing": app.contract_filing_at is not None, "tax": True}


@partner_route(
    bp,
    "get",
    "/partner/applications/<int:app_id>/receipt.<any(png,pdf):fmt>",
    description="受理凭证",
    content_type="application/pdf",
    errors={404: "未受理或不是本机构的申请"},
)
def partner_receipt(app_id: int, fmt: str) -> Response:
    """下载受理凭证（PNG/PDF）"""
    app = service.own_application(g.partner, app_id)
    kinds.APPLICATION_RECEIPT.check_filer(app, g.partner.id)
    return _kind_file(kinds.APPLICATION_RECEIPT, app, fmt)


@partner_route(
    bp,
    "get",
    "/partner/applications/<int:app_id>/registration-certificate",
    s.DocumentRowsSchema,
    errors={404: "没有本机构的不动产登记证明"},
)
def partner_regcert(app_id: int) -> dict[str, Any]:
    """本机构抵押申请的不动产登记证明（含核验链接）"""
    return regcert.view(regcert.load_for_partner(g.partner, app_id))


@partner_route(
    bp,
    "get",
    "/partner/applications/<int:app_id>/registration-certificate.<any(png,pdf):fmt>",
    description="不动产登记证明",
    content_type="application/pdf",
    errors={404: "没有本机构的不动产登记证明"},
)
def partner_regcert_file(app_id: int, fmt: str) -> Response:
    """下载不动产登记证明（PNG/PDF，带核验二维码）"""
    cert = regcert.load_for_partner(g.partner, app_id)
    return _kind_file(kinds.REGISTRATION_CERTIFICATE, cert, fmt)


def _kind_file(kind: kinds.DocumentKind, record: Any, fmt: str) -> Response:
    """A document of a kind (registered in create_app) as a file, not cached anywhere."""
    body = kind.render(record, fmt)
    response = Response(body, mimetype="image/png" if fmt == "png" else "application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        kind.filename(record, fmt), kind.filename(record, fmt, ascii_only=True)
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@partner_route(
    bp,
    "post",
    "/partner/applications/<int:app_id>/materials",
    s.MaterialSchema,
    status=201,
    form=s.MaterialFormSchema,
    errors={**_NOT_OURS, 413: "超过 10 MB", 415: "不是 PDF、JPEG 或 PNG"},
    edge=_material_edge,
)
def partner_material(form: dict[str, Any], app_id: int) -> dict[str, Any]:
    """上传申请材料（PDF/JPEG/PNG，按内容识别，≤10 MB，记录 SHA-256，不公开）"""
    app = service.own_application(g.partner, app_id)
    return materials.add(app, form["kind"], request.files.get("file"))


@partner_route(bp, "get", "/partner/applications/<int:app_id>/materials", s.MaterialListSchema)
def partner_materials(app_id: int) -> dict[str, Any]:
    """本机构申请的材料清单"""
    return {"items": materials.listing(service.own_application(g.partner, app_id))}


@partner_route(
    bp,
    "get",
    "/partner/applications/<int:app_id>/materials/<int:material_id>",
    description="材料原件",
)
def partner_material_file(app_id: int, material_id: int) -> Response:
    """下载本机构申请的材料"""
    return materials.file_response(service.own_application(g.partner, app_id), material_id)


@partner_route(
    bp,
    "put",
    "/partner/webhook",
    s.WebhookSchema,
    arguments=s.WebhookSetSchema,
    errors={422: "地址不可用"},
)
def partner_webhook(data: dict[str, Any]) -> dict[str, Any]:
    """设置接收办件状态变化的 Webhook 地址（返回一次 whsec_ 密钥）"""
    answer = webhooks.set_endpoint(g.partner, data["url"])
    _commit()
    return answer


@partner_route(bp, "get", "/partner/webhook/deliveries", s.DeliveryListSchema)
def partner_deliveries() -> dict[str, Any]:
    """Webhook 投递记录（最近 100 条）"""
    return {"items": webhooks.deliveries(g.partner)}


# --- citizens ------------------------------------------------------------------------------------
@bp.get("/me/applications")
@citizen_required
@bp.response(200, s.CitizenApplicationListSchema)
def my_applications() -> dict[str, Any]:
    """我的办件：我作为当事人的登记申请，含确认情况和时间线"""
    items = service.list_for_citizen(g.person)
    _commit()
    return {"items": items}


@bp.post("/me/applications/<int:app_id>/confirm")
@citizen_required
@bp.arguments(s.ConfirmSchema)
@bp.response(200, s.CitizenApplicationSchema)
@bp.alt_response(404, description="不是本人作为当事人的申请")
@bp.alt_response(409, description="不需要确认或已答复")
def my_confirm(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """确认或不同意一件登记申请"""
    app = service.confirm(g.person, app_id, data["decision"], data.get("reason"))
    _commit()
    return read.citizen_view(app, g.person)


# --- staff ---------------------------------------------------------------------------------------
@staff_route(
    bp, "get", "/staff/applications", s.ApplicationPageSchema, roles=ROLES, query=s.ListQuerySchema
)
def staff_list(query: dict[str, Any]) -> dict[str, Any]:
    """窗口：申请列表（含 version，用于并发控制）"""
    return window.list_applications(
        query.get("status"), query.get("kind"), query["page"], query["per_page"]
    )


@staff_route(
    bp,
    "post",
    "/staff/applications",
    s.ApplicationSchema,
    roles=ROLES,
    status=201,
    arguments=s.ApplicationCreateSchema,
)
def staff_file(data: dict[str, Any]) -> dict[str, Any]:
    """窗口代为提交申请（现场办理）"""
    filer = service.Filer(channel="window", staff_id=g.staff.id, actor=_staff_actor())
    app = service.file_application(filer, data)
    _commit()
    return read.application_view(app, for_staff=True)


def _staff_action(app_id: int, version: int, action: Any) -> dict[str, Any]:
    app = window.load_for_update(app_id, version)
    try:
        action(app)
        db.session.flush()
    except StaleDataError:  # another clerk changed it between our read and our write
        db.session.rollback()
        raise window.version_conflict(version + 1) from None
    _commit()
    return read.application_view(app, for_staff=True)


@staff_route(
    bp,
    "post",
    "/staff/applications/<int:app_id>/accept",
    s.ApplicationSchema,
    roles=ROLES,
    arguments=s.VersionSchema,
    errors=_STALE,
)
def staff_accept(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """受理：给出受理编号和承诺办结日期（工作日）"""
    return _staff_action(app_id, data["version"], lambda a: window.accept(a, _staff_actor()))


@staff_route(
    bp,
    "post",
    "/staff/applications/<int:app_id>/correction",
    s.ApplicationSchema,
    roles=ROLES,
    arguments=s.ReasonVersionSchema,
    errors=_STALE,
)
def staff_correction(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """要求补正（退回提交方，时限暂停）"""
    return _staff_action(
        app_id,
        data["version"],
        lambda a: window.request_correction(a, data["reason"], _staff_actor()),
    )


@staff_route(
    bp,
    "post",
    "/staff/applications/<int:app_id>/reject",
    s.ApplicationSchema,
    roles=ROLES,
    arguments=s.ReasonVersionSchema,
    errors=_STALE,
)
def staff_reject(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """不予受理"""
    return _staff_action(
        app_id, data["version"], lambda a: window.reject(a, data["reason"], _staff_actor())
    )


@staff_route(
    bp,
    "post",
    "/staff/applications/<int:app_id>/advance",
    s.ApplicationSchema,
    roles=ROLES,
    arguments=s.AdvanceSchema,
    errors={409: "版本已变化、环节顺序不对或并行事项未办结"},
)
def staff_advance(data: dict[str, Any], app_id: int) -> dict[str, Any]:
    """推进环节：审核 → 登簿（同一事务内变更登记簿并发证）→ 缮证 → 办结"""
    return _staff_action(
        app_id,
        data["version"],
        lambda a: window.advance(a, data["stage"], _staff_actor(), data.get("note")),
    )


@staff_route(
    bp,
    "post",
    "/staff/applications/<int:app_id>/tracks/<any(contract_filing,tax):track>",
    s.ApplicationSchema,
    roles=ROLES,
    arguments=s.TrackSchema,
    errors={409: "不需要或已办结"},
)
def staff_track(data: dict[str, Any], app_id: int, track: str) -> dict[str, Any]:
    """并行办理：网签备案或缴税办结"""
    app = service.load(app_id)
    if app is None:
        raise service.not_found()
    tracks.complete_track(app, track, data["reference"], _staff_actor())
    _commit()
    return read.application_view(app, for_staff=True)


@staff_route(
    bp,
    "get",
    "/staff/applications/<int:app_id>/materials/<int:material_id>",
    roles=ROLES,
    description="材料原件",
)
def staff_material_file(app_id: int, material_id: int) -> Response:
    """工作人员查看申请材料"""
    app = service.load(app_id)
    if app is None:
        raise service.not_found()
    return materials.file_response(app, material_id)


@staff_route(
    bp,
    "get",
    "/staff/applications/export.csv",
    roles=ROLES,
    description="CSV",
    content_type="text/csv",
    query=s.StatsQuerySchema,
)
def staff_export(query: dict[str, Any]) -> Response:
    """导出期间内的办件（CSV，公式字符已中和）"""
    body = reports.export_csv(query["from_"], query["to"])
    _commit()
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="applications.csv"'
    return response


@staff_route(
    bp,
    "put",
    "/staff/working-days/<day>",
    s.WorkingDaySchema,
    roles=("admin",),
    arguments=s.WorkingDaySetSchema,
    errors={404: "日期格式不正确"},
)
def staff_working_day(data: dict[str, Any], day: str) -> dict[str, Any]:
    """管理员录入国务院公布的放假调休安排（优先于日历包）"""
    row = workdays.set_override_checked(day, data["is_workday"], data.get("note"))
    _commit()
    return {"day": row.day, "is_workday": row.is_workday, "note": row.note}


# --- public --------------------------------------------------------------------------------------
@bp.get("/applications/lookup")
@limiter.limit(lambda: current_app.config.get("APPLICATION_LOOKUP_LIMIT", "10 per minute"))
@bp.arguments(s.LookupQuerySchema, location="query")
@bp.response(200, s.LookupSchema)
@bp.alt_response(404, description="未找到（受理编号或姓名不符，统一答复）")
def lookup(query: dict[str, Any]) -> dict[str, Any]:
    """凭受理编号和申请人姓名查询办理进度（公开，脱敏，限频）"""
    answer = reports.lookup(query["number"], query["name"])
    _commit()
    return answer


@bp.get("/stats/applications")
@limiter.limit("60 per minute")
@bp.arguments(s.StatsQuerySchema, location="query")
@bp.response(200, s.StatsSchema)
def stats(query: dict[str, Any]) -> dict[str, Any]:
    """办件统计：已办理业务笔数、办结率、按时办结率，按类型和渠道"""
    return reports.stats(query["from_"], query["to"])
