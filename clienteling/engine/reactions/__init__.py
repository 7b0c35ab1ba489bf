"""Reactions (SPEC 3.9): benefits and rewards that issue themselves. ``keys`` derives each
firing's key and id (RX3), ``fire`` issues for one profile inside a unit of work (the event
triggers, RX4), ``daily`` finds the profiles of the time triggers set-based (the daily run)."""
