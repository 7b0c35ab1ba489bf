"""``models.new_id``: the ids every side makes for its records (SPEC §2: "Identifiers are UUID
strings created by whichever side creates the record"). Built from random bytes without a
``uuid.UUID`` (issue 16: an import makes three a profile), so it must lay them out exactly as
``str(uuid.uuid4())`` does."""

from __future__ import annotations

import re
import uuid

from clienteling.engine.models import new_id

_LAYOUT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_new_ids_are_version_4_uuids_in_uuid4s_text_form() -> None:
    ids = [new_id() for _ in range(5000)]
    for made in ids:
        parsed = uuid.UUID(made)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == made and _LAYOUT.fullmatch(made), made
    assert len(set(ids)) == len(ids)


def test_new_ids_use_every_random_bit() -> None:
    # 122 random bits: over a few thousand ids each one is seen both set and clear, so no
    # bit is lost to the version and variant masks beyond the six they fix.
    values = [uuid.UUID(new_id()).int for _ in range(4000)]
    fixed = (0xF000 << 64) | (0xC000 << 48)
    seen_set = seen_clear = 0
    for value in values:
        seen_set |= value
        seen_clear |= ~value
    varying = seen_set & seen_clear & ((1 << 128) - 1)
    assert varying == ((1 << 128) - 1) & ~fixed
