"""The hub's fixtures (a database per backend, a live hub over loopback, the seeded world of
tests/hub/conftest.py) for the reliability tests that talk to a hub."""

from tests.hub.conftest import hub_url, pg_database, quick_hashes, start_hub, world

__all__ = ["hub_url", "pg_database", "quick_hashes", "start_hub", "world"]
