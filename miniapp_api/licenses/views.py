"""Electronic licenses and annotated copies. — endpoints."""
