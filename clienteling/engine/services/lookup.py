"""Finding one row by key, or saying which one is missing (the ``not_found`` every service
answers with): one place, so the message and the entity's wording stay the same everywhere."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from clienteling.engine.errors import NotFound
from clienteling.engine.models import BenefitDefinition, RewardDefinition

_Row = TypeVar("_Row")
_Definition = TypeVar("_Definition", BenefitDefinition, RewardDefinition)


def get_or_not_found(s: Session, model: type[_Row], ident: Any, entity: str) -> _Row:
    """The ``model`` row with primary key ``ident``; ``NotFound(entity, ident)`` when none."""
    found = s.get(model, ident)
    if found is None:
        raise NotFound(entity, ident)
    return found


def definition_by_ref(s: Session, model: type[_Definition], ref: str, entity: str) -> _Definition:
    """A definition by id or, failing that, by handle (SPEC §7 accepts either)."""
    found = s.get(model, ref) or s.scalar(select(model).where(model.handle == ref))
    if found is None:
        raise NotFound(entity, ref)
    return found
