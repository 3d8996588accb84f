"""Partner API (server to server, `X-API-Key`): bulk verification and project progress."""

from __future__ import annotations

from typing import Any

from flask import g

from . import bp, service
from .guards import partner_route
from .schemas import (
    BatchAnswerSchema,
    NumberBatchSchema,
    PageQuerySchema,
    PartnerCasePageSchema,
    PartnerProjectListSchema,
    TokenBatchSchema,
)

_BAD_KEY = {401: "密钥无效"}


@partner_route(
    bp, "post", "/verify", BatchAnswerSchema, arguments=TokenBatchSchema, errors=_BAD_KEY
)
def verify_batch(data: dict[str, list[str]]) -> dict[str, Any]:
    """批量核验二维码令牌

    Up to 100 tokens (or full `/v/` links) in one request; one answer per token, in order,
    exactly as `GET /api/v1/verify/{token}` answers it (a malformed token gets verdict
    `malformed` instead of failing the batch). Every check is in the audit log.
    """
    return {"results": service.verify_tokens(g.partner, data["tokens"])}


@partner_route(
    bp, "post", "/verify/by-number", BatchAnswerSchema, arguments=NumberBatchSchema,
    errors=_BAD_KEY,
)  # fmt: skip
def verify_numbers(data: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """批量按证书号和印制编号核验

    For a bank checking paper certificates in bulk: each item needs both the certificate
    number and the print serial; a miss answers `unknown_document` without saying which.
    """
    return {"results": service.verify_numbers(g.partner, data["items"])}


@partner_route(
    bp, "get", "/handover/projects", PartnerProjectListSchema, errors={403: "仅开发企业"}
)
def projects() -> dict[str, Any]:
    """本企业楼盘的交房即交证进度

    For developer partners: their own projects with unit counts per stage and open blockers.
    """
    return {"items": service.own_projects(g.partner)}


@partner_route(
    bp, "get", "/handover/projects/<int:project_id>/cases", PartnerCasePageSchema,
    query=PageQuerySchema, errors={404: "不是本企业的项目或项目不存在"},
)  # fmt: skip
def project_cases(query: dict[str, int], project_id: int) -> dict[str, Any]:
    """本企业楼盘各套房屋的办证进度

    Per unit: building, room, masked contract number and buyer name, stage, blockers.
    """
    return service.project_cases(g.partner, project_id, query["page"], query["per_page"])
