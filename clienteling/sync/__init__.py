"""The till's side of sync (SPEC §6, §7): push the outbox to the hub, pull the change feed,
a first sync from the hub's snapshot, and verification by digest.

Qt-free and hub-free (import-linter contracts in pyproject.toml): the desktop runs it on its
network worker, ``clienteling sync`` runs it headless. The public API is ``run_cycle`` and
``CycleReport`` (cycle.py), ``HubClient`` and its errors (client.py), ``verify`` (verify.py),
``TokenStore`` (credentials.py) and the till's saved hub connection and sync state
(state.py, a thin facade over the engine's ``cl.sync_state``). Sync never touches SQLAlchemy
or the ORM models (another import-linter contract).
"""
