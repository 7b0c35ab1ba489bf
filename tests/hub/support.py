"""Small helpers for hub tests: make records over HTTP and check answers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.hub.conftest import unique


def ok(response: httpx.Response, status: int | tuple[int, ...] = (200, 201, 204)) -> Any:
    expected = (status,) if isinstance(status, int) else status
    assert response.status_code in expected, (
        f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
    )
    return response.json() if response.content else None


def refused(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} -> {response.status_code} "
        f"(wanted {status}): {response.text}"
    )
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("message"), str) and body["message"], body
    if code is not None:
        assert body.get("code") == code, body
    return body


def profile(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"first_name": "Ann", "last_name": unique("Lee"), **fields}
    data: dict[str, Any] = ok(client.post("/profiles", json=body), 201)["data"]
    return data


def benefit_definition(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "Free coffee", "handle": unique("coffee"), "period": 30, "max_redemptions": 3,
            "is_published": True, **fields}
    data: dict[str, Any] = ok(client.post("/benefits/definitions", json=body), 201)["data"]
    return data


def issue(client: httpx.Client, definition_id: str, profile_id: str, **fields: Any) -> dict[str, Any]:
    body = {"benefit_definition_id": definition_id, "profile_id": profile_id,
            "timezone": "Australia/Melbourne", **fields}
    data: dict[str, Any] = ok(client.post("/benefits", json=body), 201)["data"]
    return data


def reward_definition(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "Customer service", "handle": unique("cs"), "type": "customer-service",
            "value": "10.00", "period": 90, "is_extendable": True, "extend_days": 30, **fields}
    data: dict[str, Any] = ok(client.post("/rewards/definitions", json=body), 201)["data"]
    return data


def reward(client: httpx.Client, definition_id: str, profile_id: str, value: str = "20.00",
           **fields: Any) -> dict[str, Any]:
    body = {"profile_id": profile_id, "reward_definition_id": definition_id, "value_initial": value,
            "timezone": "Australia/Melbourne", "reason": "apology for a late order", **fields}
    data: dict[str, Any] = ok(client.post("/rewards", json=body), 201)["data"]
    return data


def balance(client: httpx.Client, profile_id: str) -> str:
    value: str = ok(client.get(f"/profiles/{profile_id}/balances"))["data"]["reward_balance"]
    return value
