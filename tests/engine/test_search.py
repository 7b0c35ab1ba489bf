"""Profile search pages by keyset (SPEC §5 "Profile lookup", GUIDE principle 8): walking the
pages with the cursor gives exactly the rows, in exactly the order, of one unpaged search —
across page boundaries that fall inside runs of equal sort keys too."""

from __future__ import annotations

import pytest

from clienteling.engine.errors import ValidationError
from clienteling.engine.services import ProfileRow, SearchCursor
from clienteling.engine.services.profiles import name_key
from tests.conftest import World


def _people(world: World) -> dict[str, tuple[str, str, str, str]]:
    """Profiles whose names tie in runs longer than a page: id -> (first, last, email, phone)."""
    made: dict[str, tuple[str, str, str, str]] = {}
    names = [("Olivia", "Smith")] * 7 + [("Olivia", "Smithers")] * 4 + [("Oliver", "Smith")] * 3 \
        + [("Noah", "Oliveira")] * 3 + [("Mia", "Chen")] * 2
    for n, (first, last) in enumerate(names):
        # Emails share a prefix up to the "@", which an email query needs.
        email = f"{first}@{last}{n % 3}.n{n}.example.com".lower()
        phone = f"0400 000 {n:03d}"
        profile = world.cl.profiles.create(world.associate, {
            "first_name": first, "last_name": last, "email": email, "mobile_phone": phone})
        made[profile.id] = (first, last, email, phone)
    return made


def _walk(world: World, query: str, size: int) -> list[ProfileRow]:
    rows: list[ProfileRow] = []
    after: SearchCursor | None = None
    for _ in range(1000):
        page = world.cl.profiles.search_page(query, limit=size, after=after)
        assert len(page.rows) <= size
        rows.extend(page.rows)
        if page.next is None:
            return rows
        assert len(page.rows) == size  # a short page is always the last
        assert page.next.id == page.rows[-1].id
        after = page.next
    raise AssertionError("the cursor never reached the end")


@pytest.mark.parametrize("query", ["oli", "olivia smith", "smith", "olivia@smith", "0400 000", "mia"])
def test_keyset_pages_give_the_rows_of_one_unpaged_search(world: World, query: str) -> None:
    _people(world)
    whole = world.cl.profiles.search(query, limit=1000)
    assert whole, f"the fixture has matches for {query!r}"
    for size in (1, 2, 3, 5, 7, 50):
        assert _walk(world, query, size) == whole, f"pages of {size}"


def test_the_order_is_by_name_then_id_and_ties_do_not_lose_rows(world: World) -> None:
    people = _people(world)
    rows = _walk(world, "olivia smith", 3)
    # Exactly the seven Olivia Smiths and four Olivia Smithers, Smith before Smithers, ties by id.
    expected = sorted(
        (pid for pid, (f, la, _, _) in people.items() if name_key(f, la).startswith("olivia smith")),
        key=lambda pid: (name_key(*people[pid][:2]), pid))
    assert [r.id for r in rows] == expected
    assert len(expected) == 11


def test_email_queries_page_by_email(world: World) -> None:
    people = _people(world)
    rows = _walk(world, "olivia@smith", 2)
    expected = sorted(e for (_, _, e, _) in people.values() if e.startswith("olivia@smith"))
    assert len(expected) == 11
    assert [r.email for r in rows] == expected


def test_phone_queries_page_by_name(world: World) -> None:
    people = _people(world)
    rows = _walk(world, "0400 000 0", 4)
    expected = sorted(people, key=lambda pid: (name_key(*people[pid][:2]), pid))
    assert [r.id for r in rows] == expected


def test_a_profile_added_before_the_cursor_does_not_shift_the_next_page(world: World) -> None:
    _people(world)
    before = world.cl.profiles.search("oli", limit=1000)
    first = world.cl.profiles.search_page("oli", limit=5)
    assert first.rows == tuple(before[:5]) and first.next is not None
    # Sorts ahead of every row already shown: an OFFSET would now repeat the fifth row.
    world.cl.profiles.create(world.associate, {"first_name": "Oli", "last_name": "Aardvark"})
    second = world.cl.profiles.search_page("oli", limit=5, after=first.next)
    assert second.rows == tuple(before[5:10])


def test_rows_reads_the_current_rows_of_given_profiles(world: World) -> None:
    people = _people(world)
    pid = next(iter(people))
    world.cl.profiles.update(world.associate, pid, {"mobile_phone": "0499 111 222"})
    found = world.cl.profiles.rows([pid, "no-such-profile"])
    assert list(found) == [pid]
    assert found[pid].mobile_phone == "0499 111 222"
    assert found[pid] in world.cl.profiles.search("0499 111 222")


def test_an_empty_query_or_a_bad_limit(world: World) -> None:
    page = world.cl.profiles.search_page("   ")
    assert page.rows == () and page.next is None
    for limit in (0, 1001):
        with pytest.raises(ValidationError) as caught:
            world.cl.profiles.search_page("oli", limit=limit)
        assert "limit" in str(caught.value)
