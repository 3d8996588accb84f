"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from miniapp_api import create_app

app = create_app()
