"""Application materials: PDF, JPEG or PNG recognised by content (never by name or the
client's content type), at most 10 MB, SHA-256 recorded, served only to the filing partner
and staff (never public, always as a download)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from .. import unit_of_work
from ..database import db
from ..domain import audit
from ..errors import Problem
from ..models import Application, ApplicationMaterial

MAX_BYTES = 10 * 1024 * 1024
# The upload route takes a body up to this size (the file plus the multipart framing and the
# `kind` field) instead of the app-wide MAX_CONTENT_LENGTH (6 MiB); a file over MAX_BYTES in
# a body under it is refused by ``add`` (413 material_too_large), a larger body before the
# route runs (413 payload_too_large).
MAX_BODY_BYTES = MAX_BYTES + 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def material_view(m: ApplicationMaterial) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind,
        "content_type": m.content_type,
        "size": m.size,
        "sha256": m.sha256,
        "uploaded_at": m.uploaded_at,
    }


def add(app: Application, kind: str, upload: FileStorage | None) -> dict[str, Any]:
    if upload is None:
        raise Problem(422, "validation_failed", "请上传文件", errors={"file": ["缺少文件"]})
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Problem(413, "material_too_large", "材料文件不能超过 10 MB")
    if not data:
        raise Problem(422, "validation_failed", "文件为空", errors={"file": ["文件为空"]})
    sniffed = sniff(data[:16])
    if sniffed is None:
        raise Problem(415, "material_type_not_allowed", "只接受 PDF、JPEG 或 PNG 格式的材料")
    material = ApplicationMaterial(
        application_id=app.id,
        kind=kind,
        content_type=sniffed[0],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    db.session.add(material)
    db.session.flush()
    audit.record(
        "application.material.upload",
        object_type="application",
        object_id=app.id,
        detail={"material_id": material.id, "kind": kind, "size": len(data)},
    )
    return material_view(material)


def listing(app: Application) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(ApplicationMaterial)
        .where(ApplicationMaterial.application_id == app.id)
        .order_by(ApplicationMaterial.id)
    ).scalars()
    return [material_view(m) for m in rows]


def file_response(app: Application, material_id: int) -> Response:
    material = db.session.get(ApplicationMaterial, material_id)
    if material is None or material.application_id != app.id:
        raise Problem(404, "material_not_found", "未找到该材料")
    audit.record(
        "application.material.view",
        object_type="application",
        object_id=app.id,
        detail={"material_id": material.id},
    )
    unit_of_work.done()
    ext = dict((ct, e) for _, ct, e in SIGNATURES)[material.content_type]
    response = Response(material.data, mimetype=material.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="material-{material.id}.{ext}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
