"""交房即交证: projects with stage counts and blockers, a project's units with bulk moves, and
the CSV import with a per-row preview before anything is written (then all or nothing).

Moves and imports are the handover package's own functions (``handover.service``,
``handover.importer``): the same rules, versions and audit as the staff API.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for

from ..database import db
from ..domain.masking import mask_id_number, mask_name
from ..domain.stages import BLOCKER_KINDS, PROJECT_STAGE_CODES, UNIT_STAGE_CODES
from ..errors import Problem
from ..extensions import kv
from ..handover import blockers, importer, read_models, rules, schemas, service
from ..handover import cases as cases_service
from . import bp
from .forms import act, as_int, load

PER_PAGE = 100
PREVIEW_TTL = 900


@bp.get("/handover")
def projects() -> str:
    return render_template("console/projects.html", projects=read_models.list_projects())


def _project_screen(project_id: int) -> str:
    detail = read_models.project_detail(project_id)
    stage = request.args.get("stage") if request.args.get("stage") in UNIT_STAGE_CODES else None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10000))
    cases = cases_service.list_cases(  # audited (handover.cases.list) and committed there
        project_id=project_id, stage=stage, contract_number=None, page=page, per_page=PER_PAGE
    )
    return render_template(
        "console/project.html",
        p=detail,
        cases=cases,
        stage=stage,
        stages=[(code, rules.label(code)) for code in UNIT_STAGE_CODES],
        pages=max(1, -(-cases["total"] // PER_PAGE)),
        blocker_kinds=BLOCKER_KINDS,
        project_stages=[(code, rules.label(code)) for code in PROJECT_STAGE_CODES],
    )


@bp.get("/handover/projects/<int:project_id>")
def project(project_id: int) -> str:
    return _project_screen(project_id)


def _bulk_advance_screen(project_id: int) -> Response:
    items = []
    for value in request.form.getlist("case")[: service.MAX_BULK_ITEMS + 1]:
        case_id, _, rest = value.partition(":")
        version, _, stage = rest.partition(":")
        if as_int(case_id) is None or as_int(version) is None or stage not in UNIT_STAGE_CODES:
            continue
        items.append({"id": int(case_id), "version": int(version), "stage": stage})
    note = (request.form.get("note") or "").strip()[:200] or None
    if note:
        for item in items:
            item["note"] = note
    back = request.form.get("back") or url_for("console.project", project_id=project_id)
    if not back.startswith("/staff/"):
        back = url_for("console.project", project_id=project_id)
    if not items:
        flash("请先勾选要推进的房屋", "error")
        return redirect(back, code=303)
    try:
        result = service.advance_cases(items, g.staff)  # commits, or rolls back and raises
    except Problem as problem:
        db.session.rollback()
        flash(problem.detail, "error")
        for failure in problem.extra.get("failures", [])[:20]:
            flash(f"办件 #{failure['id']}：{failure['detail']}", "error")
        return redirect(back, code=303)
    flash(f"已推进 {result['count']} 套房屋", "ok")
    return redirect(back, code=303)


@bp.post("/handover/projects/<int:project_id>/advance")
def bulk_advance(project_id: int) -> Response:
    """Checked units move to their next stage, all of them or none."""
    return _bulk_advance_screen(project_id)


# --- CSV import with preview -------------------------------------------------------------------
@bp.get("/handover/import")
def import_form() -> str:
    return render_template("console/import.html", preview=None)


def _preview(data: bytes) -> dict[str, Any]:
    """Every row checked exactly as the import will check it, nothing written."""
    errors = importer.Errors()
    rows = importer.parse(importer.decode(data), errors)
    if not errors:
        if not rows:
            errors.add(2, "file", "导入文件没有数据行")
        importer._check_within_file(rows, errors)
    actions: dict[int, str] = {}
    if not errors:
        plans, _found = importer._plan(rows, errors)
        actions = {plan.row.number: plan.action for plan in plans}
    db.session.rollback()  # planning only reads; make sure nothing lingers
    by_row: dict[int, list[dict[str, str]]] = {}
    for item in errors.items:
        field = item["field"]
        name = importer.COLUMNS[field][0] if field in importer.COLUMNS else field
        by_row.setdefault(item["row"], []).append({"field": name, "message": item["message"]})
    parsed = {row.number: row for row in rows}
    lines = []
    for number in sorted(set(parsed) | set(by_row)):
        row = parsed.get(number)
        lines.append(
            {
                "row": number,
                "errors": by_row.get(number, []),
                "action": actions.get(number),
                "project": row.project_name if row else "",
                "place": f"{row.building}栋{row.room}室" if row else "",
                "unit_number": row.unit_number if row else "",
                "contract_number": row.contract_number if row else "",
                "buyer": f"{mask_name(row.buyer_name)} {mask_id_number(row.buyer_id)}"
                if row
                else "",
            }
        )
    return {
        "rows": lines,
        "error_rows": sorted(by_row),
        "counts": {a: list(actions.values()).count(a) for a in ("created", "updated", "unchanged")},
        "ok": not errors,
    }


def _import_preview_screen() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的 CSV 文件", "error")
        return redirect(url_for("console.import_form"), code=303)
    data = upload.stream.read(importer.MAX_BYTES + 1)
    try:
        preview = _preview(data)
    except Problem as problem:  # too big, not UTF-8, no header
        flash(problem.detail, "error")
        return redirect(url_for("console.import_form"), code=303)
    token = None
    if preview["ok"]:
        token = secrets.token_urlsafe(24)
        kv.set(f"console-import:{g.staff.id}:{token}", data.decode("utf-8-sig"), PREVIEW_TTL)
    status = 200 if preview["ok"] else 422
    return render_template(
        "console/import.html", preview=preview, token=token, filename=upload.filename
    ), status


@bp.post("/handover/import")
def import_preview() -> Any:
    return _import_preview_screen()


def _import_confirm_screen() -> Response:
    token = (request.form.get("token") or "")[:64]
    text = kv.pop(f"console-import:{g.staff.id}:{token}") if token else None
    if text is None:
        flash("预览已过期，请重新上传文件", "error")
        return redirect(url_for("console.import_form"), code=303)
    try:
        # Checked again in full: all or nothing, whatever changed since the preview.
        result = importer.import_csv(text.encode("utf-8"), g.staff)
    except Problem as problem:
        db.session.rollback()
        flash(f"{problem.detail}（未写入任何数据）", "error")
        return redirect(url_for("console.import_form"), code=303)
    flash(
        f"导入完成：{result['rows']} 行，新增 {result['created']}，更新 {result['updated']}，"
        f"未变 {result['unchanged']}",
        "ok",
    )
    return redirect(url_for("console.projects"), code=303)


@bp.post("/handover/import/confirm")
def import_confirm() -> Response:
    return _import_confirm_screen()


# --- project stages and blockers ----------------------------------------------------------------
def _project_stage_screen(project_id: int) -> Response:
    def work() -> None:
        data = load(
            schemas.AdvanceProjectSchema(),
            request.form,
            ["stage", "version", "note", "reason", "skipped", "authority"],
            integers=["version"],
            optional=["note", "reason", "skipped", "authority"],
        )
        service.advance_project(
            project_id,
            stage=data["stage"],
            version=data["version"],
            note=data.get("note"),
            reason=data.get("reason"),
            skipped=data.get("skipped", False),
            authority=data.get("authority"),
            staff=g.staff,
        )

    return act(work, "项目环节已更新", url_for("console.project", project_id=project_id))


@bp.post("/handover/projects/<int:project_id>/stage")
def project_stage(project_id: int) -> Response:
    """The project's next stage (an admin may skip or go back with a reason; the service
    decides, as for the API)."""
    return _project_stage_screen(project_id)


def _add_blocker_screen(project_id: int) -> Response:
    def work() -> None:
        data = load(
            schemas.BlockerCreateSchema(),
            request.form,
            ["kind", "authority", "reason", "case_id"],
            integers=["case_id"],
            optional=["case_id"],
        )
        blockers.add_blocker(
            project_id,
            kind=data["kind"],
            authority=data["authority"],
            reason=data["reason"],
            case_id=data.get("case_id"),
            staff=g.staff,
        )

    return act(work, "已登记阻碍事项", url_for("console.project", project_id=project_id))


@bp.post("/handover/projects/<int:project_id>/blockers")
def add_blocker(project_id: int) -> Response:
    return _add_blocker_screen(project_id)


@bp.post("/handover/projects/<int:project_id>/blockers/<int:blocker_id>/resolve")
def resolve_blocker(project_id: int, blocker_id: int) -> Response:
    def work() -> None:
        data = load(schemas.BlockerResolveSchema(), request.form, ["resolution"])
        blockers.resolve_blocker(blocker_id, resolution=data["resolution"], staff=g.staff)

    return act(work, "阻碍事项已解除", url_for("console.project", project_id=project_id))
