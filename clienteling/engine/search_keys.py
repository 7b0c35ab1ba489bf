"""A profile's search keys (SPEC §8: search a million profiles by name, email, phone or
card as an index range scan): lower-case, whitespace-folded names and digits-only phones.

Kept apart from ``services.profiles`` because the sync side computes them too (the remote
door, for records the hub sends without them: they are the till's own columns, declared in
``engine.entities``), and the wire modules it uses must not import the services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_NOT_DIGITS = re.compile(r"\D")

# The columns ``profile_keys`` fills, in the profiles table.
PROFILE_KEY_COLUMNS = ("name_key", "last_name_key", "email_key", "phone_key")


def name_key(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".lower().split())


def phone_key(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = _NOT_DIGITS.sub("", phone)
    return digits or None


def profile_keys(values: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """The search keys of profiles given column by column (``first_name``, ``last_name``,
    ``email``, ``mobile_phone``), as ``ProfileService`` keeps them: a first sync computes
    them for thousands of rows at once."""
    first, last = values["first_name"], values["last_name"]
    return {
        "name_key": [name_key(f, n) for f, n in zip(first, last, strict=True)],
        "last_name_key": [n.lower() for n in last],
        "email_key": [e.lower() if e else None for e in values["email"]],
        "phone_key": list(map(phone_key, values["mobile_phone"])),
    }
