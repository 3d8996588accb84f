"""Staff endpoints for 交房即交证 cases, blockers and imports."""
