"""Staff passwords: argon2id hashes (argon2-cffi) and a small strength policy."""

from __future__ import annotations

import string
from contextlib import suppress
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

MIN_LENGTH = 12
MAX_LENGTH = 1024

# A small list of passwords (and password stems) that are tried first by every attacker.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456123456",
        "123123123123",
        "111111111111",
        "000000000000",
        "qwertyuiop123",
        "qwertyuiopasdf",
        "qwerty123456",
        "1qaz2wsx3edc",
        "1q2w3e4r5t6y",
        "asdfghjkl123",
        "zxcvbnm12345",
        "password1234",
        "password12345",
        "password123456",
        "passw0rd1234",
        "p@ssw0rd1234",
        "p@ssword1234",
        "admin1234567",
        "administrator",
        "administrator1",
        "admin@123456",
        "welcome12345",
        "letmein12345",
        "iloveyou1234",
        "woaini1314520",
        "woaini520520",
        "abc123456789",
        "abcd12345678",
        "a123456789012",
        "aa123456789012",
        "changeme1234",
        "changeme12345",
        "default12345",
        "12345678abcd",
        "123456789abc",
        "123456abcdef",
        "abcdef123456",
        "bdc123456789",
        "registry1234",
    }
)


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    """The hasher with the configured cost (ARGON2_*); argon2-cffi's defaults otherwise."""
    if not has_app_context():
        return _hasher_for(3, 65536, 4)
    config = current_app.config
    return _hasher_for(
        int(config.get("ARGON2_TIME_COST", 3)),
        int(config.get("ARGON2_MEMORY_COST", 65536)),
        int(config.get("ARGON2_PARALLELISM", 4)),
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-used-to-equalise-timing")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown user) still spend the same time."""
    hasher = _hasher()
    if not password_hash or not password_hash.startswith("$argon2"):
        with suppress(VerificationError, InvalidHashError):
            hasher.verify(_dummy_hash(hasher), password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _classes(password: str) -> int:
    groups = (
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.digits for c in password),
        any(not c.isascii() or not c.isalnum() for c in password),
    )
    return sum(groups)


def password_problems(password: str, username: str) -> list[str]:
    """Why a staff password is refused (empty when acceptable). Messages in Chinese."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码不能超过 {MAX_LENGTH} 个字符")
    if _classes(password) < 2:
        problems.append("密码不能只由一类字符组成（请混合字母、数字或符号）")
    lowered = password.lower()
    if username and username.strip().lower() in lowered:
        problems.append("密码不能包含用户名")
    if lowered in COMMON_PASSWORDS or len(set(password)) <= 2:
        problems.append("密码过于常见，请换一个")
    return problems
