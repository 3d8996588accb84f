"""Flask extensions, created once here and bound to the app in create_app()."""

from __future__ import annotations

from http import HTTPStatus

from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .errors import PROBLEM_CONTENT_TYPE, ProblemDocsPlugin, ProblemSchema
from .kvstore import KeyValueStore

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
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


def _client_key() -> str:
    from .netutil import client_address

    return client_address()


limiter = Limiter(key_func=_client_key, default_limits=[], headers_enabled=True)
