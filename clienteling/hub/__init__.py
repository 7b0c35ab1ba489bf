"""The hub: the central API tills sync with (SPEC §7), an ASGI app over the engine.

``create_app`` is in ``clienteling.hub.app``. This package imports nothing itself, so a
``clienteling hub`` command that only reads or writes the database (``store list``,
``import``) does not load FastAPI and every route first.
"""
