"""Password hashing (argon2id) and the password rules of SECURITY.md AUTH-1 and AUTH-2."""

from __future__ import annotations

import secrets
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for malformed hashes too)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash has outdated parameters (or another algorithm) and should be redone."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


# A hash of a random password, verified against when the e-mail is unknown, so an unknown user
# costs the same time as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def burn_verification_time(password: str) -> None:
    """Spend the time of a real verification (for unknown users)."""
    verify_password(_DUMMY_HASH, password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower-cased)."""
    text = resources.files("hiring").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is not acceptable, or None. No composition rules (AUTH-2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "This password is on the list of commonly used passwords; choose another."
    local_part = email.split("@", 1)[0].lower()
    if local_part and lowered == local_part or name and lowered == name.lower():
        return "Do not use your name or e-mail address as your password."
    return None


def generate_password() -> str:
    """A random password to hand out once (about 96 bits)."""
    return secrets.token_urlsafe(12)
