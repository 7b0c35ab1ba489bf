"""The hub: the central API tills sync with (SPEC §7), an ASGI app over the engine."""

from __future__ import annotations

from clienteling.hub.app import create_app

__all__ = ["create_app"]
