"""``ProfileService.create_many`` (``hub import``'s bulk path): every row gets exactly what
``create`` would give it — the same record, the same refusal in the same words — with the
database's checks asked once for the batch, and a row that fails writes nothing (SPEC §4)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from clienteling.engine import wire
from clienteling.engine.clock import FixedClock
from clienteling.engine.errors import ValidationError
from clienteling.engine.fingerprints import Fingerprints
from clienteling.engine.models import AuditEvent, Identity, OutboxEntry, Profile
from clienteling.engine.services import Clienteling
from tests.conftest import T0, World
from tests.internals import context_of
from tests.kept_digests import assert_kept

CARD = "card"

ROWS: list[Any] = [
    {"id": "p-1", "first_name": "Jane", "last_name": "Citizen", "email": "Jane@Example.com",
     "mobile_phone": "0400 000 001", "birth_date": "1990-02-03", "tier": "gold",
     "attributes": {"vip": True}, "identities": [{"handle": CARD, "identifier": "4000000000001"}]},
    {"first_name": "", "last_name": "Smith"},                              # required, blank
    {"first_name": "Ann", "last_name": "Lee", "email": "not-an-email"},    # format
    {"first_name": "Bo", "last_name": "Ng", "email": "taken@example.com"},  # held already
    {"first_name": "Cy", "last_name": "Oz", "identities": [{"handle": CARD,
                                                             "identifier": "4999999999999"}]},
    {"first_name": "Di", "last_name": "Po", "home_store_id": "nowhere"},    # unknown store
    {"id": "held", "first_name": "Ed", "last_name": "Qu"},                  # id held already
    {"first_name": "Fay", "last_name": "Ray", "birth_date": "1985-13-01", "gender": "robot"},
    ["not", "an", "object"],
    {"id": "p-2", "first_name": "Gus", "last_name": "Sun", "join_date": "2020-01-14",
     "home_store_id": None},
]


def _clone(world: World, tmp_path: Path, name: str) -> Clienteling:
    world.cl.close()
    copy = tmp_path / name
    shutil.copyfile(Path(world.url.removeprefix("sqlite:///")), copy)
    return Clienteling.open(f"sqlite:///{copy}", clock=FixedClock(T0))


def _seed(cl: Clienteling, world: World) -> None:
    cl.profiles.create(world.admin, {"id": "held", "first_name": "Held", "last_name": "One",
                                     "email": "taken@example.com",
                                     "identities": [{"handle": CARD,
                                                     "identifier": "4999999999999"}]})


def _one_by_one(cl: Clienteling, world: World) -> list[Any]:
    out: list[Any] = []
    for row in ROWS:
        try:
            out.append(cl.profiles.create(world.admin, row))
        except ValidationError as exc:
            out.append(exc)
    return out


def _comparable(result: Any) -> Any:
    if isinstance(result, ValidationError):
        return ("refused", result.errors)
    body = wire.profile(result)
    return ("made", result.id, {k: v for k, v in body.items() if k != "id"})


def _counts(cl: Clienteling) -> tuple[int, int, int, int]:
    with context_of(cl).reading() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[return-value]
                     for model in (Profile, Identity, AuditEvent, OutboxEntry))


def test_each_row_gets_what_create_gives_it(world: World, tmp_path: Path) -> None:
    singly, together = _clone(world, tmp_path, "singly.db"), _clone(world, tmp_path, "together.db")
    try:
        for cl in (singly, together):
            _seed(cl, world)
        expected = _one_by_one(singly, world)
        got = together.profiles.create_many(world.admin, ROWS)
        assert [_comparable(r) for r in got] == [_comparable(r) for r in expected]
        made = [r for r in got if not isinstance(r, ValidationError)]
        assert [r.id for r in made] == ["p-1", "p-2"]
        # Each made profile has its audit event and outbox entry, as one by one; the refused
        # rows wrote nothing.
        assert _counts(together) == _counts(singly)
        assert together.profiles.find_scan("4000000000001").profile_id == "p-1"
        jane = together.profiles.get("p-1")
        assert (jane.email, jane.name_key, jane.phone_key) == (
            "jane@example.com", "jane citizen", "0400000001")
    finally:
        singly.close()
        together.close()


def test_rows_of_one_batch_meet_each_other_as_the_database_would(world: World) -> None:
    """A second row with the first one's email, card or id is refused as if the first had
    been created before it."""
    first = {"id": "a-1", "first_name": "A", "last_name": "One", "email": "same@example.com",
             "identities": [{"handle": CARD, "identifier": "4000000000009"}]}
    results = world.cl.profiles.create_many(world.admin, [
        first,
        {"first_name": "B", "last_name": "Two", "email": "SAME@example.com"},
        {"first_name": "C", "last_name": "Three",
         "identities": [{"handle": CARD, "identifier": "4000000000009"}]},
        {"id": "a-1", "first_name": "D", "last_name": "Four"},
    ])
    assert not isinstance(results[0], ValidationError)
    refusals = [r.errors for r in results[1:] if isinstance(r, ValidationError)]
    assert refusals == [
        {"email": ["another profile already has this email address"]},
        {"identities.0.identifier": ["4000000000009 belongs to another profile"]},
        {"id": ["a profile with this id already exists"]},
    ]
    assert world.cl.profiles.count() == 1


VARIED: list[Any] = [
    {"id": "v-1", "first_name": "Zoë", "last_name": "Ørsted", "email": "zoe@example.com",
     "birth_date": "1990-02-03", "tier": "gold", "join_date": "2019-07-01",
     "attributes": {"vip": True, "score": 1.5e16, "tiny": 1e-7, "nested": {"b": [1, None, "é"]},
                    "a": "“quoted”"},
     # Two cards not in the digest's order (it sorts a profile's cards by handle).
     "identities": [{"handle": "membership", "identifier": "M-9"},
                    {"handle": CARD, "identifier": "4000000000077"}]},
    {"id": "v-2", "first_name": "Al", "last_name": "Bo"},                    # no card
    {"id": "v-3", "first_name": "Cy", "last_name": "Do", "attributes": {}, "mobile_phone": "0400 1"},
]


def test_kept_digests_of_a_batch_are_computed_from_what_it_wrote(
        world: World, monkeypatch: Any) -> None:
    """The batch's kept fingerprints (issue 19) come from the values it wrote, not a read back
    (issue 16), and equal the recompute from the stored rows: floats, text beyond ASCII,
    nested attributes, several cards, none."""
    read_back: list[str] = []
    of_ids = Fingerprints.of_ids

    def counting(self: Fingerprints, s: Any, ids: Any) -> dict[str, int]:
        read_back.extend(ids)
        return of_ids(self, s, ids)

    monkeypatch.setattr(Fingerprints, "of_ids", counting)
    made = world.cl.profiles.create_many(world.admin, VARIED)
    assert not any(isinstance(m, ValidationError) for m in made)
    assert not {"v-1", "v-2", "v-3"} & set(read_back)
    assert_kept(world.cl, "bulk create")


def test_a_batch_profile_changed_later_in_the_same_unit_is_read_back(world: World) -> None:
    # An import chunk is one unit of work: a profile it made and then changed must be kept
    # as it ends up, not as it was made.
    ctx = context_of(world.cl)
    with ctx.transaction(world.admin, shared=True):
        world.cl.profiles.create_many(world.admin, VARIED[:2])
        world.cl.profiles.update(world.admin, "v-2", {"first_name": "Alan",
                                                      "attributes": {"x": 1}})
    assert world.cl.profiles.get("v-2").first_name == "Alan"
    assert_kept(world.cl, "made then changed in one unit")
