"""Staff endpoints for certificates and encumbrances."""
