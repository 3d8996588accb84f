"""Auth endpoints (WeChat login, refresh, logout, identity, staff login)."""
