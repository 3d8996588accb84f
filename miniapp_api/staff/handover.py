"""Staff endpoints for 交房即交证 cases, blockers and imports."""

from __future__ import annotations

from typing import Any

from flask import g, request

from .. import outbox
from ..auth.guards import staff_required
from ..errors import Problem
from ..handover import blockers, cases, importer, schemas, service
from . import bp

STAFF = ("clerk", "admin")


@bp.get("/handover/cases")
@staff_required(*STAFF)
@bp.arguments(schemas.CaseQuerySchema, location="query")
@bp.response(200, schemas.CasePageSchema)
def list_cases(query: dict[str, Any]) -> dict[str, Any]:
    """办件列表（按项目、环节、网签合同号筛选，分页，每页最多 100 条）"""
    return cases.list_cases(
        project_id=query.get("project_id"),
        stage=query.get("stage"),
        contract_number=query.get("contract_number"),
        page=query["page"],
        per_page=query["per_page"],
    )


@bp.get("/handover/cases/<int:case_id>")
@staff_required(*STAFF)
@bp.response(200, schemas.StaffCaseDetailSchema)
def get_case(case_id: int) -> dict[str, Any]:
    """单个办件（含时间线与版本号）"""
    return cases.staff_case_detail(case_id)


@bp.post("/handover/cases/<int:case_id>/advance")
@staff_required(*STAFF)
@bp.arguments(schemas.AdvanceCaseSchema)
@bp.response(200, schemas.StaffCaseDetailSchema)
def advance_case(body: dict[str, Any], case_id: int) -> dict[str, Any]:
    """推进办件环节

    Moves the case to `stage` (normally its next_stage). Skipping or going back needs an admin
    and a reason. `version` must be the case's current version, otherwise 409 version_conflict.
    Units cannot reach 转移登记受理 or later before the project's 房屋所有权首次登记, nor while
    an open blocker stops that stage (409 project_not_ready / case_blocked).
    """
    return service.advance_case(case_id, staff=g.staff, **body)  # stage, version, note, reason


@bp.post("/handover/cases/advance")
@staff_required(*STAFF)
@bp.arguments(schemas.BulkAdvanceSchema)
@bp.response(200, schemas.BulkResultSchema)
def bulk_advance(body: dict[str, Any]) -> dict[str, Any]:
    """批量推进办件（全部成功或全部不变；失败时列出每个不符合条件的办件）"""
    return service.advance_cases(body["items"], g.staff)


@bp.post("/handover/projects/<int:project_id>/advance")
@staff_required(*STAFF)
@bp.arguments(schemas.AdvanceProjectSchema)
@bp.response(200, schemas.ProjectDetailSchema)
def advance_project(body: dict[str, Any], project_id: int) -> dict[str, Any]:
    """推进项目环节（无在建建筑物抵押的项目可用 skipped: true 跳过该环节）"""
    return service.advance_project(
        project_id,
        stage=body["stage"],
        version=body["version"],
        note=body.get("note"),
        reason=body.get("reason"),
        skipped=body.get("skipped", False),
        authority=body.get("authority"),
        staff=g.staff,
    )


@bp.get("/handover/projects/<int:project_id>/blockers")
@staff_required(*STAFF)
@bp.arguments(schemas.BlockerQuerySchema, location="query")
@bp.response(200, schemas.BlockerListSchema)
def list_blockers(query: dict[str, Any], project_id: int) -> dict[str, Any]:
    """项目的阻碍事项（默认仅未解除的）"""
    return {"items": blockers.list_blockers(project_id, query["include_resolved"])}


@bp.post("/handover/projects/<int:project_id>/blockers")
@staff_required(*STAFF)
@bp.arguments(schemas.BlockerCreateSchema)
@bp.response(201, schemas.StaffBlockerSchema)
def add_blocker(body: dict[str, Any], project_id: int) -> dict[str, Any]:
    """登记阻碍事项（整个项目，或带 case_id 针对单个办件）"""
    return blockers.add_blocker(
        project_id,
        kind=body["kind"],
        authority=body["authority"],
        reason=body["reason"],
        case_id=body.get("case_id"),
        staff=g.staff,
    )


@bp.post("/handover/blockers/<int:blocker_id>/resolve")
@staff_required(*STAFF)
@bp.arguments(schemas.BlockerResolveSchema)
@bp.response(200, schemas.StaffBlockerSchema)
def resolve_blocker(body: dict[str, Any], blocker_id: int) -> dict[str, Any]:
    """解除阻碍事项"""
    return blockers.resolve_blocker(blocker_id, resolution=body["resolution"], staff=g.staff)


@bp.post("/import/handover")
@staff_required(*STAFF)
@bp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
)
@bp.response(200, schemas.ImportResultSchema)
def import_handover() -> dict[str, Any]:
    """导入项目、房屋单元和网签合同（CSV，UTF-8，≤ 2 MB）

    A file with any bad row imports nothing: 422 `import_invalid` with `rows`, one entry per
    error (row number, field, Chinese message). Re-importing the same file changes nothing.
    """
    return importer.import_csv(_upload_bytes(), g.staff)


def _upload_bytes() -> bytes:
    limit = importer.MAX_BYTES
    if (request.content_length or 0) > limit + 64 * 1024:
        raise Problem(413, "payload_too_large", "导入文件不能超过 2 MB")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Problem(
                422, "file_required", "请上传 CSV 文件（表单字段 file）", errors={"file": ["必填"]}
            )
        data = upload.stream.read(limit + 1)
    elif request.mimetype == "text/csv":
        data = request.get_data(cache=False)
    else:
        raise Problem(415, "unsupported_media_type", "请以 multipart/form-data 或 text/csv 上传")
    if len(data) > limit:
        raise Problem(413, "payload_too_large", "导入文件不能超过 2 MB")
    return data


@bp.get("/handover/notifications")
@staff_required(*STAFF)
@bp.arguments(schemas.OutboxQuerySchema, location="query")
@bp.response(200, schemas.OutboxPageSchema)
def list_notifications(query: dict[str, Any]) -> dict[str, Any]:
    """微信通知发送记录（默认列出发送失败或结果未知、需人工核实的）"""
    return outbox.list_outbox(query["state"], query["page"], query["per_page"])


@bp.post("/handover/notifications/<int:message_id>/retry")
@staff_required("admin")
@bp.response(200, schemas.OutboxItemSchema)
def retry_notification(message_id: int) -> dict[str, Any]:
    """重新发送一条失败或结果未知的通知（管理员确认可能重复送达后操作）"""
    return outbox.requeue_by_staff(message_id)
