"""Salted slow hashes (argon2id) for staff PINs and device tokens (SPEC §9)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# PINs are short, so the hash must be slow; these are argon2-cffi's RFC 9106
# "low memory" settings, about 40 ms a check on the 2-core test machine.
_hasher = PasswordHasher()


# What a device outside a staff member's scope receives instead of their PIN hash (issue 9,
# docs/security.md): the record still arrives, because rewards and redemptions refer to it,
# but no PIN ever verifies against it (argon2 refuses it as a hash), so nobody can sign in
# as them there and nothing is left to search offline.
WITHHELD_HASH = "!withheld"


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def new_device_token() -> tuple[str, str]:
    """A new bearer token and its public lookup prefix (the rest is only stored hashed)."""
    lookup = secrets.token_hex(8)
    return f"clt_{lookup}_{secrets.token_urlsafe(32)}", lookup


def token_lookup(token: str) -> str | None:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "clt":
        return None
    return parts[1]


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
