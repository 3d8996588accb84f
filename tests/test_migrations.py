"""The migrations build the same schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from miniapp_api.extensions import db


def test_migrations_match_models(app):
    # The test database was built by `flask db upgrade` (see conftest.template_db).
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
