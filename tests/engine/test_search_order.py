"""Profile search gives the rows and the order of its specification (SPEC §5 "Profile lookup"),
page by page, on SQLite and PostgreSQL, whichever way it reads the last-name branch.

The reference is computed in Python from the rule the search has always had (issue 10 changed
how it is read, not what it finds): the query is lower-cased and its whitespace collapsed;
three or more digits (ignoring spaces, +, -, brackets) find a card number exactly or a phone
number by prefix; a query with "@" finds an email by prefix, in (email, id) order; a query
with a space finds a "first last" prefix; one word finds a first OR last name prefix. Everything
but email is in (name_key, id) order. Code-point order is what SQLite's BINARY collation and
the test server's C.UTF-8 give, and what Python's ``sorted`` gives.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import event

from clienteling.engine.clock import FixedClock
from clienteling.engine.models import Identity, Profile, new_id
from clienteling.engine.services import Clienteling, ProfileRow, SearchCursor
from clienteling.engine.services import profiles as profiles_module
from clienteling.engine.services.profiles import ProfileService
from tests.conftest import T0, World
from tests.internals import database_of

# Names that collide: equal, case variants, prefixes of each other, several words, accents,
# letters whose lower case is longer, a first name that is also a last name.
FIRSTS = ("Olivia", "olivia", "OLIVIA", "Oliver", "Oli", "Olive", "Ólafur", "Mary Jane", "Mary",
          "Smith", "Zoë", "Zoe", "İlker", "Ava", "Avery", "Jo", "Jo-Ann", "李", "Élodie", "Øyvind")
LASTS = ("Smith", "smith", "SMITH", "Smithers", "Smith-Jones", "Oliveira", "Olive", "Oli",
         "de la Cruz", "De La Cruz", "Núñez", "Nunez", "O'Brien", "van  Dyke", "Zoë", "Öberg",
         "Ávila", "李", "Mary", "Avery")
PROFILES = 1500


@dataclass(frozen=True)
class Person:
    id: str
    first: str
    last: str
    email: str | None
    phone: str | None
    tier: str | None
    cards: tuple[str, ...]

    @property
    def name_key(self) -> str:
        return " ".join(f"{self.first} {self.last}".lower().split())

    @property
    def row(self) -> ProfileRow:
        return ProfileRow(self.id, self.first, self.last, self.email, self.phone, self.tier,
                          min(self.cards) if self.cards else None)


def _people() -> list[Person]:
    rng = random.Random(10)
    people = []
    for n in range(PROFILES):
        first, last = rng.choice(FIRSTS), rng.choice(LASTS)
        email = None if n % 11 == 0 else f"{rng.choice(('oli', 'olive', 'ava', 'mary'))}" \
            f"{n % 4 or ''}@ex{n % 3}.example.com"
        phone = None if n % 13 == 0 else f"04{n % 5}{n % 7} {n % 3}{n:03d} {n % 10}"
        cards = tuple(str(4000000000000 + n * 10 + k) for k in range(n % 3))
        people.append(Person(new_id(), first, last, email, phone, rng.choice(("gold", None)),
                             cards))
    return people


def _expected(people: list[Person], query: str) -> list[ProfileRow]:
    q = " ".join(query.strip().lower().split())
    if not q:
        return []
    digits = re.sub(r"[\s+()-]", "", q)
    if digits.isdigit() and len(digits) >= 3:
        found = [p for p in people if digits in p.cards
                 or (p.phone is not None and re.sub(r"\D", "", p.phone).startswith(digits))]
    elif "@" in q:
        found = [p for p in people if p.email is not None and p.email.lower().startswith(q)]
        return [p.row for p in sorted(found, key=lambda p: ((p.email or "").lower(), p.id))]
    elif " " in q:
        found = [p for p in people if p.name_key.startswith(q)]
    else:
        found = [p for p in people if p.name_key.startswith(q) or p.last.lower().startswith(q)]
    return [p.row for p in sorted(found, key=lambda p: (p.name_key, p.id))]


def _queries(people: list[Person]) -> list[str]:
    words = sorted({w.lower() for name in FIRSTS + LASTS for w in name.split()})
    one_word = sorted({w[:n] for w in words for n in (1, 2, 3, len(w))})
    return [
        *one_word, "OLI", "  Smi  ", "zoë", "i̇l", "de", "o'", "nobody",
        "olivia smith", "olivia  SMITH", "mary jane", "mary jane oli", "oli oli", "de la",
        "van  dyke", "zoë zoë", "李 李",
        "oli@", "olive1@ex", "mary@ex0", "@ex", "nobody@",
        "040", "0412", "041 2", "+61", "(04) 1", people[5].cards[0], people[8].cards[1],
        "4000000000", "00000",
    ]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def searched(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Clienteling, list[Person]]]:
    """One database per backend holding the people, stored with the service's own search keys."""
    if request.param == "sqlite":
        yield from _filled(f"sqlite:///{tmp_path_factory.mktemp('search') / 'till.db'}")
        return
    from tests.hub.conftest import fresh_pg_database

    with fresh_pg_database() as url:
        yield from _filled(url)


def _filled(url: str) -> Iterator[tuple[Clienteling, list[Person]]]:
    cl = Clienteling.open(url, clock=FixedClock(T0))
    people = _people()
    with database_of(cl).write() as s:
        for p in people:
            profile = Profile(id=p.id, first_name=p.first, last_name=p.last, email=p.email,
                              mobile_phone=p.phone, tier=p.tier, attributes={}, created_at=T0,
                              updated_at=T0)
            ProfileService._keys(profile)  # the keys every create, update and sync stores
            profile.identities = [Identity(id=new_id(), handle="card", identifier=c)
                                  for c in p.cards]
            s.add(profile)
    try:
        yield cl, people
    finally:
        cl.close()


def _walk(cl: Clienteling, query: str, size: int) -> list[ProfileRow]:
    rows: list[ProfileRow] = []
    after: SearchCursor | None = None
    while True:
        page = cl.profiles.search_page(query, limit=size, after=after)
        assert len(page.rows) == size or page.next is None, "only the last page is short"
        rows.extend(page.rows)
        if page.next is None:
            return rows
        assert page.next.id == page.rows[-1].id
        after = page.next


READS = {  # (WALK_ABOVE, WALK_WINDOW) for each way of reading the last-name branch
    "sort": (10**9, 10**9),  # sort every match
    "walk": (0, 10**9),  # walk the names in order until a page is found
    "short walk": (0, 60),  # walk at most 60 names, then sort after all
}


@pytest.fixture(params=list(READS))
def last_name_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way of reading the last-name branch, whatever the number of matches."""
    above, window = READS[request.param]
    monkeypatch.setattr(profiles_module, "WALK_ABOVE", above)
    monkeypatch.setattr(profiles_module, "WALK_WINDOW", window)
    return str(request.param)


def test_every_kind_of_query_pages_through_the_reference_rows_in_order(
        searched: tuple[Clienteling, list[Person]], last_name_read: str) -> None:
    cl, people = searched
    queries = _queries(people)
    matched = 0
    for query in queries:
        expected = _expected(people, query)
        matched += bool(expected)
        assert _walk(cl, query, 50) == expected, query
        assert cl.profiles.search(query, limit=1000) == expected[:1000], query
    # The fixture exercises the rule: most queries find something, some find a lot.
    assert matched > len(queries) * 3 // 4
    assert max(len(_expected(people, q)) for q in queries) > 500


@pytest.mark.parametrize("query", ["o", "smith", "zoë", "nú", "0412", "olive1@ex"])
def test_small_pages_cross_runs_of_ties_without_losing_or_repeating_rows(
        searched: tuple[Clienteling, list[Person]], last_name_read: str, query: str) -> None:
    cl, people = searched
    expected = _expected(people, query)
    assert len(expected) > 7
    for size in (1, 7) if len(expected) < 100 else (7,):
        assert _walk(cl, query, size) == expected, f"pages of {size}"


def test_a_first_name_that_is_also_a_last_name_is_listed_once(
        searched: tuple[Clienteling, list[Person]], last_name_read: str) -> None:
    cl, people = searched
    both = [p for p in people if p.first.lower().startswith("smith")
            and p.last.lower().startswith("smith")]
    assert both, "the fixture has Smith Smiths"
    ids = [r.id for r in _walk(cl, "smith", 50)]
    assert len(ids) == len(set(ids))
    assert {p.id for p in both} <= set(ids)


def _plans(cl: Clienteling, query: str) -> list[list[str]]:
    """SQLite's query plan of each SELECT one first-page search runs."""
    seen: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: object,
             *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(database_of(cl).reader, "before_cursor_execute", keep)
    try:
        cl.profiles.search_page(query)
    finally:
        event.remove(database_of(cl).reader, "before_cursor_execute", keep)
    with database_of(cl).reader.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        return [[row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                for statement, parameters in seen]


@pytest.mark.parametrize("way", ["sort", "walk"])
def test_sqlite_reads_each_branch_from_a_covering_index_in_order(
        world: World, monkeypatch: pytest.MonkeyPatch, way: str) -> None:
    """What keeps a one-word search fast at a million profiles (SPEC §8), checked without a
    clock: no statement reads the whole table, the last-name branch sorts only its own
    matches or none, and the page is sorted from the branches' pages."""
    monkeypatch.setattr(profiles_module, "WALK_ABOVE", 10**9 if way == "sort" else 0)
    monkeypatch.setattr(profiles_module, "WALK_WINDOW", 1)
    for first in ("Ava", "Mia", "Zoe"):
        world.cl.profiles.create(world.associate, {"first_name": first, "last_name": "Smith"})
    plans = _plans(world.cl, "smi")
    lines = [line for plan in plans for line in plan]
    assert not any(line.startswith("SCAN profiles") and "COVERING INDEX" not in line
                   for line in lines), plans
    count, *last_name, page = plans
    assert any("COVERING INDEX ix_profiles_by_last_name" in line for line in count)
    if way == "sort":
        assert last_name == [["SEARCH profiles USING COVERING INDEX ix_profiles_by_last_name "
                              "(last_name_key>? AND last_name_key<?)",
                              "USE TEMP B-TREE FOR ORDER BY"]]
    else:
        # A window of one name holds no page: the walk gives up and sorts after all.
        edge, walk, fallback = last_name
        assert edge == ["SCAN profiles USING COVERING INDEX ix_profiles_by_name"]
        assert walk == ["SEARCH profiles USING COVERING INDEX ix_profiles_by_name (name_key<?)"]
        assert fallback[0].startswith("SEARCH profiles USING COVERING INDEX ix_profiles_by_last")
    assert "SEARCH profiles USING COVERING INDEX ix_profiles_by_name " \
           "(name_key>? AND name_key<?)" in page
    assert "SEARCH profiles USING INDEX sqlite_autoindex_profiles_1 (id=?)" in page
    # Two sorts of at most two pages' rows: the card subquery's and the page's.
    assert sum(line == "USE TEMP B-TREE FOR ORDER BY" for line in page) == 2, page
