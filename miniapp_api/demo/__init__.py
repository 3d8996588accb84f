"""Deterministic demo registry (`flask --app wsgi seed-demo`)."""
