"""Reading a request safely: the body (size-limited, strict JSON), and the hub's headers.

Bodies are parsed here rather than by pydantic models so that the engine's own
readers (``engine.form``) judge every field with one set of messages; this module
only guarantees that what reaches the engine is a sane JSON value: at most 1 MiB,
UTF-8, no NaN/Infinity, no NUL characters or lone surrogates (which PostgreSQL
cannot store), nested at most 32 deep.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

from fastapi import Request

from clienteling.hub.errors import ApiError

MAX_BODY = 1024 * 1024
DRAIN_LIMIT = 16 * MAX_BODY
MAX_DEPTH = 32
_DIGITS = re.compile(r"[0-9]{1,30}")  # ASCII digits only ("³".isdigit() is true)


def _too_large() -> ApiError:
    return ApiError(413, "The request body is larger than 1 MiB.", code="payload_too_large")


async def raw_body(request: Request) -> bytes:
    """The body bytes; 413 over 1 MiB (the rest is drained so the client can read the answer)."""
    cached = getattr(request.state, "raw_body", None)
    if cached is not None:
        return bytes(cached)
    declared = request.headers.get("content-length")
    if declared is not None and _DIGITS.fullmatch(declared.strip()) and int(declared) > DRAIN_LIMIT:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    oversize = False
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            oversize = True
            if size > DRAIN_LIMIT:
                break
            continue
        chunks.append(chunk)
    if oversize:
        raise _too_large()
    body = b"".join(chunks)
    request.state.raw_body = body
    return body


def _finite(text: str) -> float:
    # JSON numbers arrive as floats, as json.loads gives them; amounts are not computed with
    # them: engine.money.parse_amount accepts a float only when its shortest repr has no more
    # places than the currency allows, and turns that repr into a Decimal (SPEC §7).
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is too large")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _check(value: Any, path: str, depth: int, errors: dict[str, list[str]]) -> None:
    if depth > MAX_DEPTH:
        errors.setdefault(path or "body", []).append(f"is nested more than {MAX_DEPTH} levels deep")
        return
    if isinstance(value, str):
        _check_text(value, path, errors)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path or "body", errors, what="a key")
            _check(item, f"{path}.{key}" if path else str(key), depth + 1, errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{path}.{i}" if path else str(i), depth + 1, errors)


def _check_text(text: str, path: str, errors: dict[str, list[str]], what: str = "text") -> None:
    if "\x00" in text:
        errors.setdefault(path or "body", []).append(f"{what} must not contain NUL characters")
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        errors.setdefault(path or "body", []).append(f"{what} must be valid Unicode (no lone "
                                                     "surrogates)")


def parse_json(raw: bytes) -> Any:
    """The JSON value of a body (None when empty); 422 naming ``body`` when it is not JSON."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError.invalid("body", f"is not UTF-8 text (byte {exc.start})") from exc
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constants)
    except RecursionError as exc:
        raise ApiError.invalid("body", f"is nested more than {MAX_DEPTH} levels deep") from exc
    except ValueError as exc:
        raise ApiError.invalid("body", f"is not valid JSON: {str(exc)[:200]}") from exc
    errors: dict[str, list[str]] = {}
    _check(value, "", 0, errors)
    if errors:
        raise ApiError(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()),
                       errors=errors)
    return value


def as_object(value: Any) -> dict[str, Any]:
    """A body that must be a JSON object (an empty body counts as ``{}``)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError.invalid("body", "must be a JSON object")
    return value


def occurred_at(request: Request) -> datetime | None:
    """``X-Occurred-At``: when a replayed change happened at the till (ISO 8601 with offset)."""
    raw = request.headers.get("x-occurred-at")
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ApiError.invalid(
            "X-Occurred-At", f"'{text[:40]}' is not an ISO 8601 time such as "
            "'2026-03-02T10:15:00+11:00'") from exc
    if when.tzinfo is None or when.utcoffset() is None:
        raise ApiError.invalid("X-Occurred-At", "must include a UTC offset, e.g. "
                               "'2026-03-02T10:15:00+11:00' or '…Z'")
    if not 1900 <= when.year <= 2200:
        raise ApiError.invalid("X-Occurred-At", "must be a year between 1900 and 2200")
    return when


def if_match(request: Request) -> int | None:
    """``If-Match``: the definition version an edit is based on (``3``, ``"3"`` or ``W/"3"``)."""
    raw = request.headers.get("if-match")
    if raw is None or not raw.strip() or raw.strip() == "*":
        return None
    text = raw.strip()
    if text.startswith(("W/", "w/")):
        text = text[2:]
    text = text.strip('"')
    if not _DIGITS.fullmatch(text) or len(text) > 9:
        raise ApiError(412, f"If-Match must be the version the edit is based on, e.g. \"3\" "
                       f"(got {raw[:40]!r}).", code="precondition_failed")
    return int(text)


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}
