"""SPEC §9, issue 9: schemathesis over the hub's own OpenAPI, on SQLite and PostgreSQL, over
real HTTP: whatever it sends — as a till's associate, as an admin at the admin device, and
with no credentials — the hub never answers 5xx (bad input is a 4xx naming the problem), and
nothing reaches its catch-all (``start_hub`` asserts that at the end).

Bounded: ``EXAMPLES`` cases per operation and identity, derandomised, so CI time stays a
couple of minutes for both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.hub.conftest import World
from tests.hub.support import benefit_definition, profile, reward, reward_definition

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
EXAMPLES = 12


def _identities(world: World) -> dict[str, dict[str, str]]:
    return {
        "associate at a till": {"Authorization": f"Bearer {world.token}",
                                "X-Staff-Id": world.staff["associate"]},
        "admin at the admin device": {"Authorization": f"Bearer {world.admin_token}",
                                      "X-Staff-Id": world.staff["admin"]},
        "nobody": {},
    }


def _some_data(world: World) -> None:
    """Real rows, so generated ids sometimes hit something and the happy paths run too."""
    admin = world.as_("admin")
    pid = profile(admin)["id"]
    benefit_definition(admin)
    reward(admin, reward_definition(admin)["id"], pid)


def _caller(base: str, session: requests.Session, who: str, headers: dict[str, str],
            failures: list[str]) -> Callable[[Any], None]:
    def call(case: Any) -> None:
        response = case.call(base_url=base, session=session, headers=headers, timeout=30)
        if response.status_code >= 500:
            failures.append(f"{who}: {case.method} {case.formatted_path} {case.query} "
                            f"{case.body!r} -> {response.status_code} {response.text[:300]}")

    return call


def test_no_generated_request_gets_a_5xx(world: World) -> None:
    _some_data(world)
    schema = schemathesis.openapi.from_dict(world.hub_app_openapi())
    base = world.live.base_url
    failures: list[str] = []
    session = requests.Session()
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for who, headers in _identities(world).items():
            run = settings(
                max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck),
            )(given(case=operation.as_strategy())(_caller(base, session, who, headers, failures)))
            run()
            checked += 1
    assert checked >= 30 * 3
    assert not failures, "\n".join(failures[:20])
