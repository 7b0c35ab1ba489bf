"""Omneo's (Laravel's) envelope: ``{"data": …}``, and for lists ``links`` and ``meta``.

Query parameters understood by every list:

- ``page[number]`` (from 1) and ``page[size]`` (1–100, default 15)
- ``filter[field]=v`` and ``filter[field][eq|ne|gt|gte|lt|lte|in|nullable]=v``
- ``sort=field`` / ``sort=-field`` (comma-separated for several keys)
- ``tags[]=x`` (repeatable; definitions carrying any of the tags)
- ``timezone=Area/City``: filter times without an offset are wall time there (default UTC)

Unknown filter fields, operators and sort keys are a 422 naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import Request
from starlette.datastructures import URL

from clienteling.engine.errors import ValidationError
from clienteling.engine.services.listing import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Filter,
    ListQuery,
    Page,
)

T = TypeVar("T")

_DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: "³".isdigit() is true but int("³") fails
_FILTER = re.compile(r"^filter\[([A-Za-z0-9_.]{1,64})\](?:\[([A-Za-z]{1,16})\])?$")


def one(data: Any) -> dict[str, Any]:
    return {"data": data}


def _int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= maximum:
        raise ValidationError.field(name, f"must be a whole number from 1 to {maximum}")
    return int(text)


def list_query(request: Request, *, search: bool = False) -> ListQuery:
    """The paging, filters, sort and tags of a list request."""
    params = request.query_params
    filters: list[Filter] = []
    search_term: str | None = None
    for key, value in params.multi_items():
        if not key.startswith("filter["):
            continue
        match = _FILTER.match(key)
        if match is None:
            raise ValidationError.field(key[:80], "is not a filter: use filter[field]=value or "
                                        "filter[field][gte]=value")
        name, op = match.group(1), (match.group(2) or "eq").lower()
        if search and name == "search":
            search_term = value[:200]
            continue
        filters.append(Filter(name, op, value))
    sort: list[str] = []
    for raw in params.getlist("sort"):
        sort.extend(part.strip() for part in raw.split(",") if part.strip())
    if len(sort) > 5:
        raise ValidationError.field("sort", "at most 5 sort keys")
    tags = [t.strip() for t in [*params.getlist("tags[]"), *params.getlist("tags")] if t.strip()]
    if len(tags) > 20 or any(len(t) > 100 for t in tags):
        raise ValidationError.field("tags[]", "at most 20 tags of up to 100 characters")
    return ListQuery(
        filters=tuple(filters),
        sort=tuple(sort),
        page=_int_param(request, "page[number]", 1, 2_147_483_647),
        size=_int_param(request, "page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        tags=tuple(tags),
        search=search_term,
        timezone=(params.get("timezone") or "UTC").strip()[:64] or "UTC",
    )


def _link(url: URL, page: int) -> str:
    return str(url.include_query_params(**{"page[number]": page}))


def listing(request: Request, page: Page[T], render: Callable[[T], Any]) -> dict[str, Any]:
    """A page of records in the Laravel list shape."""
    return _envelope(request, [render(item) for item in page.items], page.total, page.page,
                     page.size)


def listing_of(request: Request, q: ListQuery, items: Sequence[T],
               render: Callable[[T], Any]) -> dict[str, Any]:
    """Page a list computed in memory (claimable, viewable: a profile's few hundred at most)."""
    chunk = items[q.offset:q.offset + q.size]
    return _envelope(request, [render(item) for item in chunk], len(items), q.page, q.size)


def _envelope(request: Request, data: list[Any], total: int, number: int, size: int) -> dict[str, Any]:
    last = max(1, -(-total // size))
    url = request.url
    first_index = (number - 1) * size + 1
    return {
        "data": data,
        "links": {
            "first": _link(url, 1),
            "last": _link(url, last),
            "prev": _link(url, number - 1) if number > 1 else None,
            "next": _link(url, number + 1) if number < last else None,
        },
        "meta": {
            "current_page": number,
            "per_page": size,
            "total": total,
            "last_page": last,
            "from": first_index if data else None,
            "to": first_index + len(data) - 1 if data else None,
            "path": str(url.replace(query="")),
        },
    }


LIST_PARAMETERS: list[dict[str, Any]] = [
    {"name": "page[number]", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "page[size]", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                "default": DEFAULT_PAGE_SIZE}},
    {"name": "sort", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "field or -field, comma-separated"},
    {"name": "filter", "in": "query", "required": False, "style": "deepObject", "explode": True,
     "schema": {"type": "object", "additionalProperties": True},
     "description": "filter[field]=v or filter[field][gte|lte|gt|lt|ne|eq|in|nullable]=v"},
    {"name": "timezone", "in": "query", "required": False, "schema": {"type": "string"}},
]

TAG_PARAMETER: dict[str, Any] = {
    "name": "tags[]", "in": "query", "required": False,
    "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True,
}


def list_doc(*, tags: bool = False) -> dict[str, Any]:
    return {"parameters": [*LIST_PARAMETERS, *([TAG_PARAMETER] if tags else [])]}
