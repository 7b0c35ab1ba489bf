"""What a sync cycle reports while it runs (for a progress bar or the command's lines)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    phase: str            # "push" | "first_sync" | "pull" | "verify"
    done: int
    total: int | None
