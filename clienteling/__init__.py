"""Clienteling: store-counter benefits and rewards, with a local engine and a central hub."""

__version__ = "0.1.0"
