"""White-box access to an engine's private parts, for tests only.

``Clienteling`` keeps its context (database, clock, policy, listeners) private: the layers
above use its services and named members. A test that must set up or inspect state the
services do not expose (raw SQL, a fault injected into the database) reaches it here, in one
clearly named place, instead of through a public attribute."""

from __future__ import annotations

from clienteling.engine.context import Context
from clienteling.engine.db import Database
from clienteling.engine.services import Clienteling


def context_of(cl: Clienteling) -> Context:
    return cl._ctx


def database_of(cl: Clienteling) -> Database:
    return cl._ctx.db
