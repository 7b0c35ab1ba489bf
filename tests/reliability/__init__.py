"""SPEC §9's reliability checks inside the project (issue 9), marked ``reliability`` and run
by the default ``pytest`` (so ``.ci/run`` runs them); ``pytest -m reliability`` picks them:

- ``test_sigkill.py``: a till SIGKILLed 30 times in the middle of redeem, claim, issue and
  redeem-amount stays whole (``scripts/sigkill_soak.py`` runs 500);
- ``test_fuzz_openapi.py``: schemathesis over the hub's OpenAPI, SQLite and PostgreSQL, never
  a 5xx;
- the cap and balance races with 16 clients on both backends: ``tests/hub/test_concurrency.py``;
- each role × each forbidden action: ``tests/engine/test_roles.py`` (engine) and
  ``tests/hub/test_roles.py`` (hub, both backends), and the devices' scope in
  ``tests/hub/test_security.py``.
"""
