"""Flask extensions, created once here and bound to the app in create_app()."""

from __future__ import annotations

from http import HTTPStatus

from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_smorest import Api

from .database import db
from .errors import PROBLEM_CONTENT_TYPE, ProblemDocsPlugin, ProblemSchema
from .kvstore import KeyValueStore
from .netutil import client_address

__all__ = ["api", "db", "kv", "limiter", "migrate"]

migrate = Migrate()


class ProblemApi(Api):
    """flask-smorest, documenting error answers as they are sent (miniapp_api.errors)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # flask-smorest's default responses per status, as application/problem+json.
        problem = {PROBLEM_CONTENT_TYPE: {"schema": self.ERROR_SCHEMA}}
        for status in HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["content"] = dict(problem)
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {"description": "错误（problem details，见 docs/errors.md）", "content": problem},
            lazy=True,
        )


api = ProblemApi(spec_kwargs={"extra_plugins": [ProblemDocsPlugin()]})
kv = KeyValueStore()


limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)
