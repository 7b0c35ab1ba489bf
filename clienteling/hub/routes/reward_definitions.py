"""Reward definitions: ``/rewards/definitions`` and the alias ``/reward-definitions``."""

from __future__ import annotations

from fastapi import APIRouter

from clienteling.engine import wire
from clienteling.hub import schemas
from clienteling.hub.routes.definitions import DefinitionRoutes, mount

router = APIRouter(tags=["reward definitions"])
REWARD = DefinitionRoutes("reward", wire.reward_definition, schemas.REWARD_DEFINITION,
                          schemas.REWARD_DEFINITION_UPDATE)

mount(router, "/rewards/definitions", REWARD, documented=True)
mount(router, "/reward-definitions", REWARD, documented=False)
