"""One module per resource; ``ROUTERS`` is the order they are mounted in (static paths such
as ``/benefits/definitions`` before ``/benefits/{id}``)."""

from __future__ import annotations

from fastapi import APIRouter

from clienteling.hub.routes import (
    benefit_definitions,
    benefits,
    health,
    people,
    profile_benefits,
    profiles,
    purchases,
    reactions,
    redemptions,
    reports,
    reward_definitions,
    rewards,
    sync,
)

ROUTERS: list[APIRouter] = [
    health.router,
    benefit_definitions.router,
    reward_definitions.router,
    profile_benefits.router,
    profiles.router,
    benefits.router,
    rewards.router,
    purchases.router,
    reactions.router,
    redemptions.router,
    reports.router,
    sync.router,
    people.router,
]
