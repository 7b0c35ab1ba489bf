"""The counter checkout (SPEC §3.6)."""
