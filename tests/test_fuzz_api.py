"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

For every documented operation, schemathesis generates requests that fit the document
(positive) and requests that break it (negative), and each answer must hold:

- no status >= 500, whatever a client sends;
- every 4xx/5xx is `application/problem+json` with type/title/status/detail/code/request_id;
- status, content type and body conform to the document (if the document is wrong, fix the
  document, not this test); negative data is refused with a 4xx.

The runs are bounded and deterministic (derandomized, no shrinking, no example database) and
each kind of caller runs in one test function, so one database copy serves hundreds of cases.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 15
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code", "request_id"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    # Limits would answer 429 after a few cases and hide everything behind them.
    return {"RATELIMIT_ENABLED": False}


def _problem_shape_error(response: Any) -> str | None:
    """Why an error answer is not a problem in our one shape (None when it is)."""
    ctype = (response.headers.get("content-type") or [""])[0]
    if not ctype.startswith("application/problem+json"):
        return f"content type {ctype!r}"
    try:
        body = response.json()
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict):
        return "body is not an object"
    missing = PROBLEM_MEMBERS - set(body)
    if missing:
        return f"members missing: {sorted(missing)}"
    if body["status"] != response.status_code:
        return f"status member {body['status']} != {response.status_code}"
    if not all(isinstance(body[k], str) and body[k] for k in ("title", "detail", "code")):
        return "title/detail/code must be non-empty strings"
    if not any("\u4e00" <= ch <= "\u9fff" for ch in body["title"] + body["detail"]):
        return "title/detail are not Chinese"
    return None


# 401 codes that mean "send credentials": the operation must document its security scheme.
CREDENTIALS_MISSING = {"login_required", "api_key_invalid"}
# The verification page answers a malformed token with an HTML page (400) for the phone user.
HTML_PAGES = {"/v/{token}"}


def fuzz(
    app: Any,
    headers: dict[str, str],
    select: Callable[[str], bool],
    *,
    ids: dict[str, Any] | None = None,
    last: tuple[str, ...] = (),
) -> list[str]:
    """Fuzz every selected operation (positive data, and negative data where a request can
    break the document at all); return what went wrong.

    Without `ids`, path parameters are generated too (mostly ids that do not exist). With
    `ids`, only operations whose path parameters are all in it run, with those real ids fixed,
    so bodies and queries reach the code behind the 404.
    """
    config = SchemathesisConfig()
    # The callers' credentials are the `headers`; generated ones would only be overridden.
    config.projects.default.generation.update(with_security_parameters=False)
    # Refusing invalid data as too large (413, e.g. a batch over MAX_JSON_BYTES) is a refusal too.
    rejection = config.projects.default.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if select(op.path)]
    if ids is not None:
        operations = [op for op in operations if _path_names(op) and _path_names(op) <= set(ids)]
    # Operations that end the session (logout) run after everything else.
    operations.sort(key=lambda op: op.label in last)
    assert operations
    failures: list[str] = []
    for operation in operations:
        fixed = {name: ids[name] for name in _path_names(operation)} if ids else None
        modes = [GenerationMode.POSITIVE]
        if _can_be_invalid(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            _fuzz_operation(operation, mode, headers, fixed, failures)
    return failures


def _can_be_invalid(operation: Any) -> bool:
    """Whether a request can break the document at all: a body or a constrained parameter.

    A free string in the path (a token, a public id) has no invalid value that can be sent,
    and asking schemathesis for one burns a second of rejected examples.
    """
    if list(operation.body):
        return True
    for parameter in operation.iter_parameters():
        schema = parameter.definition.get("schema", {})
        free_text = schema.get("type") == "string" and set(schema) <= {"type", "minLength"}
        if not (parameter.location.value == "path" and free_text):
            return True
    return False


def _path_names(operation: Any) -> set[str]:
    return set(re.findall(r"{(\w+)}", operation.path))


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    path_parameters: dict[str, Any] | None,
    failures: list[str],
) -> None:
    checks = [*CHECKS, negative_data_rejection] if mode.is_negative else CHECKS
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        where = f"{mode.value} {case.method} {case.formatted_path}"
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as group:
            failures.append(f"{where} -> {response.status_code}: {group}")
        if response.status_code >= 400 and operation.path not in HTML_PAGES:
            problem = _problem_shape_error(response)
            if problem:
                body = response.content[:300]
                failures.append(f"{where} -> {response.status_code}: {problem}: {body!r}")
            elif (
                response.status_code == 401
                and response.json()["code"] in CREDENTIALS_MISSING
                and not operation.definition.raw.get("security")
            ):
                failures.append(f"{where} -> 401 asks for credentials the document does not name")

    # Unsatisfiable: nothing in this operation can be made invalid (no parameters, no body).
    with contextlib.suppress(Unsatisfiable):
        run()


def _report(failures: list[str]) -> str:
    return f"{len(failures)} failing case(s):\n\n" + "\n\n".join(failures[:20])


def test_fuzz_anonymous(app):
    """No credentials at all: public endpoints answer, protected ones refuse with 401."""
    failures = fuzz(app, {}, lambda path: True)
    assert not failures, _report(failures)


CITIZEN_PATHS = ("/api/v1/me", "/api/v1/auth/logout", "/api/v1/files/", "/api/v1/staff/logout")


def _citizen_ids(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    """zhang's real license, a copy and a housing proof he made, a signed download link."""
    license_id = client.get("/api/v1/me/licenses", headers=headers).get_json()[0]["id"]
    copy = client.post(
        f"/api/v1/me/licenses/{license_id}/copies",
        json={"purpose": "子女入学", "valid_days": 30},
        headers=headers,
    ).get_json()
    proof = client.post(
        "/api/v1/me/housing-proofs",
        json={"scope": "personal", "purpose": "子女入学"},
        headers=headers,
    ).get_json()
    signed = proof["download_links"]["png"].rsplit("/", 1)[1]
    return {
        "license_id": license_id,
        "copy_id": copy["id"],
        "proof_id": proof["id"],
        "signed": signed,
    }


def test_fuzz_citizen(app, client, citizen_headers):
    """A logged-in citizen with a bound identity: 张建国 on his documents, 陈 on his purchase."""
    zhang = citizen_headers("zhang")
    ids = _citizen_ids(client, zhang)
    chen = citizen_headers("chen")
    case_id = client.get("/api/v1/me/handover", headers=chen).get_json()["items"][0]["id"]

    failures = fuzz(app, zhang, lambda path: path.startswith(CITIZEN_PATHS[:3]), ids=ids)
    failures += fuzz(
        app, chen, lambda path: path.startswith("/api/v1/me/handover"), ids={"case_id": case_id}
    )
    failures += fuzz(
        app,
        zhang,
        lambda path: path.startswith(CITIZEN_PATHS),
        last=("POST /api/v1/auth/logout",),
    )
    assert not failures, _report(failures)


def _staff_ids() -> dict[str, Any]:
    """Real rows for the staff endpoints: an active encumbrance and its valid certificate, a
    case with its project, a blocker, an outbox message."""
    from sqlalchemy import select

    from miniapp_api.extensions import db
    from miniapp_api.models import (
        Certificate,
        Encumbrance,
        HandoverBlocker,
        HandoverCase,
        NotificationOutbox,
        PropertyRight,
    )

    def first(stmt: Any) -> Any:
        return db.session.execute(stmt.limit(1)).scalar_one_or_none()

    enc = first(select(Encumbrance).where(Encumbrance.ended_at.is_(None)))
    cert = first(
        select(Certificate)
        .join(PropertyRight, Certificate.right_id == PropertyRight.id)
        .where(PropertyRight.unit_id == enc.unit_id, Certificate.status == "valid")
    )
    case = first(select(HandoverCase).order_by(HandoverCase.id))
    blocker = first(select(HandoverBlocker).order_by(HandoverBlocker.id))
    message = first(select(NotificationOutbox).order_by(NotificationOutbox.id))
    return {
        "certificate_id": cert.id,
        "encumbrance_id": enc.id,
        "case_id": case.id,
        "project_id": case.project_id,
        "blocker_id": blocker.id if blocker else 1,
        "message_id": message.id if message else 1,
    }


def test_fuzz_staff_admin(app, staff_headers):
    """A staff administrator: every staff endpoint, including writes on real records."""
    headers = staff_headers("admin")
    staff = lambda path: path.startswith("/api/v1/staff/")  # noqa: E731
    failures = fuzz(app, headers, staff, ids=_staff_ids())
    failures += fuzz(app, headers, staff, last=("POST /api/v1/staff/logout",))
    assert not failures, _report(failures)


def test_fuzz_partner(app):
    """Partner API keys: a bank (verification) and a developer (its own projects)."""
    from sqlalchemy import select

    from miniapp_api.extensions import db
    from miniapp_api.models import HousingProject
    from miniapp_api.partners.service import create_partner

    project = db.session.execute(select(HousingProject).limit(1)).scalar_one()
    _, bank = create_partner("x", "bank")
    _, developer = create_partner("y", "developer", organisation=project.developer)
    partner = lambda path: path.startswith("/api/v1/partner/")  # noqa: E731
    failures = fuzz(app, {"X-API-Key": bank}, partner)
    failures += fuzz(app, {"X-API-Key": developer}, partner)
    failures += fuzz(app, {"X-API-Key": developer}, partner, ids={"project_id": project.id})
    assert not failures, _report(failures)
