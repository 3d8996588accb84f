"""Exceptions raised while reading a token (mapped to verdicts by :func:`verify.verify`)."""

from __future__ import annotations

__all__ = ["MalformedToken", "NoActiveKeyError", "TokenError", "TokenTooLarge"]


class TokenError(ValueError):
    """A token could not be read. ``reason`` is the matching verdict reason value."""

    reason = "malformed"


class MalformedToken(TokenError):
    """The token is not a COSE_Sign1 of the expected shape (verdict ``malformed``)."""

    reason = "malformed"


class TokenTooLarge(TokenError):
    """The token exceeds the size bound (verdict ``too_large``); nothing was parsed."""

    reason = "too_large"


class NoActiveKeyError(LookupError):
    """The key store has no active signing key (create one with ``rotate()``)."""
