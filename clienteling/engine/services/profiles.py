"""Profiles: create, edit, look up by search or scan (SPEC §2, §5 profile lookup)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from clienteling.engine import frozen, wire
from clienteling.engine.bulk_insert import insert_many
from clienteling.engine.context import Context, HubCall
from clienteling.engine.entities import BY_NAME
from clienteling.engine.errors import NotFound, ValidationError
from clienteling.engine.fingerprints import Fingerprints
from clienteling.engine.form import EMAIL, PHONE, Form, present
from clienteling.engine.frozen import IdentityRecord, ProfileRecord
from clienteling.engine.models import Benefit, Identity, Profile, Store, new_id
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.profile_data import condition_data as condition_data  # re-exported
from clienteling.engine.reactions.fire import fire
from clienteling.engine.search_keys import name_key as name_key  # re-exported, as before
from clienteling.engine.search_keys import phone_key as phone_key
from clienteling.engine.services.lookup import get_or_not_found

GENDERS = ("female", "male", "non-binary", "other", "unspecified")
SEARCH_PAGE = 50


@dataclass(frozen=True)
class ProfileRow:
    """One search result: enough to show a list row, no more."""

    id: str
    first_name: str
    last_name: str
    email: str | None
    mobile_phone: str | None
    tier: str | None
    card: str | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class SearchCursor:
    """Where the next page of a search starts: the last row's sort key and, for ties, its id.

    A keyset instead of an offset, so a page costs the same however deep the list is
    (GUIDE principle 8) and a profile added or renamed between pages neither repeats
    nor skips the rows around the boundary.
    """

    key: str
    id: str


@dataclass(frozen=True)
class SearchPage:
    """One page of search results and the cursor for the next (None after the last page)."""

    rows: tuple[ProfileRow, ...]
    next: SearchCursor | None


@dataclass(frozen=True)
class ScanResult:
    profile_id: str
    benefit_id: str | None


def _card_subquery() -> Any:
    return (
        select(Identity.identifier)
        .where(Identity.profile_id == Profile.id)
        .order_by(Identity.identifier)
        .limit(1)
        .correlate(Profile)
        .scalar_subquery()
    )


def _row_columns() -> tuple[Any, ...]:
    return (
        Profile.id, Profile.first_name, Profile.last_name, Profile.email,
        Profile.mobile_phone, Profile.tier, _card_subquery().label("card"),
    )


def _after(key: Any, cursor: SearchCursor) -> ColumnElement[bool]:
    # (key, id) > (cursor.key, cursor.id), spelt so the leading ``key >=`` can use key's index.
    return and_(key >= cursor.key, or_(key > cursor.key, Profile.id > cursor.id))


def _row(r: Any) -> ProfileRow:
    return ProfileRow(r.id, r.first_name, r.last_name, r.email, r.mobile_phone, r.tier, r.card)


def _prefix(column: Any, prefix: str) -> Any:
    # A range instead of LIKE, so both SQLite and PostgreSQL use the plain index.
    return (column >= prefix) & (column < prefix + "\U0010ffff")


# Above this many last-name matches, walking the names in order finds a page sooner than
# sorting every match: sorting M index entries costs about M, the walk about
# page × profiles / M entries (at 1M profiles: the 12,000 "smi" matches sort in ~1 ms and the
# 150,000 "k" ones in ~20 ms, while a walk finds a page of either in under 1 ms).
WALK_ABOVE = 3000
# How many names the walk reads before it gives up and sorts after all: matches that are
# common but bunched late in name order (a last name mostly borne with a few first names)
# would otherwise make it read most of the table. Names sort by first name, so a last name's
# matches come in clumps one first name's rows apart (~12,000 with the demo's 84 first names
# at 1M profiles): the window must span that. Its edge costs ~0.5 ms to find at 1M.
WALK_WINDOW = 30_000


def _ordered_ids(where: ColumnElement[bool], limit: int,
                 after: SearchCursor | None) -> Select[Any]:
    """The first ``limit`` ids matching ``where`` after ``after``, in (name_key, id) order."""
    stmt = select(Profile.id).where(where)
    if after is not None:
        stmt = stmt.where(_after(Profile.name_key, after))
    return stmt.order_by(Profile.name_key, Profile.id).limit(limit)


def _last_name_ids(s: Session, q: str, limit: int, after: SearchCursor | None) -> list[str]:
    """The first ``limit`` ids after ``after``, in (name_key, id) order, whose last name
    starts with ``q``.

    The matches are scattered through name order, so: a rare last name is read from
    ``ix_profiles_by_last_name`` and its few matches sorted; a common one is found by walking
    ``ix_profiles_by_name`` in order, filtering on its last_name_key column, where a page turns
    up soon because matches are dense, and if the walk's window ends first, sorted after all.
    The ``|| ''`` keeps the planner from reading the last-name index for the walk; it is the
    same string, so the rows and their order are the same either way.
    """
    last = _prefix(Profile.last_name_key, q)
    counted = select(literal(1)).where(last).limit(WALK_ABOVE + 1).subquery()
    if (s.scalar(select(func.count()).select_from(counted)) or 0) > WALK_ABOVE:
        names = select(Profile.name_key, Profile.id)
        if after is not None:
            names = names.where(_after(Profile.name_key, after))
        edge = s.execute(names.order_by(Profile.name_key, Profile.id)
                         .offset(WALK_WINDOW).limit(1)).first()
        walk = _ordered_ids(_prefix(Profile.last_name_key + "", q), limit, after)
        if edge is not None:
            # (name_key, id) < edge, spelt so that ``name_key <=`` bounds the index range.
            walk = walk.where(Profile.name_key <= edge.name_key,
                              or_(Profile.name_key < edge.name_key, Profile.id < edge.id))
        found = list(s.scalars(walk))
        if len(found) == limit or edge is None:
            return found
    return list(s.scalars(_ordered_ids(last, limit, after)))


def _one_word_match(s: Session, q: str, limit: int, after: SearchCursor | None) -> Any:
    """Which profiles can be on a one-word search's page: first name OR last name starts with q.

    The two branches are read separately, each in (name_key, id) order and cut at the page
    size, so the page is sorted from at most two pages of rows instead of from every match
    (issue 10, SPEC §8): the OR of both ranges made SQLite read and sort all of them, ~20,000
    rows for "oli" at a million profiles. The page of their union is within the union of their
    pages. The first-name branch is a range of ``ix_profiles_by_name``, already in order.
    """
    first = _ordered_ids(_prefix(Profile.name_key, q), limit, after).subquery()
    return or_(Profile.id.in_(select(first.c.id)),
               Profile.id.in_(_last_name_ids(s, q, limit, after)))


EMAIL_TAKEN = "another profile already has this email address"


def card_taken(identifier: str) -> str:
    return f"{identifier} belongs to another profile"


def _form_values(form: Form) -> tuple[dict[str, Any], list[tuple[int, str, str]] | None]:
    """A profile's fields read and checked on their own (SPEC §4), with no database at hand:
    the values (absent ones as the form's marker) and the identities asked for, as
    (position, handle, identifier). What needs the database (an email or card another
    profile has, an unknown store) is the caller's, for one profile or for many at once."""
    values: dict[str, Any] = {
        "first_name": form.text("first_name", required=True, max_len=100),
        "last_name": form.text("last_name", required=True, max_len=100),
        "email": form.text("email", max_len=254),
        "mobile_phone": form.text("mobile_phone", max_len=32),
        "gender": form.choice("gender", GENDERS),
        "birth_date": form.day("birth_date"),
        "tier": form.handle("tier"),
        "join_date": form.day("join_date"),
        "home_store_id": form.text("home_store_id", max_len=36),
        "attributes": form.json_object("attributes"),
    }
    if isinstance(values["email"], str):
        if not EMAIL.match(values["email"]):
            form.error("email", f"'{values['email'][:60]}' is not an email address")
        else:
            values["email"] = values["email"].lower()
    if isinstance(values["mobile_phone"], str) and not PHONE.match(values["mobile_phone"]):
        form.error("mobile_phone", "must be a phone number (digits, spaces, +, -)")
    if not form.has("identities"):
        return values, None
    raw = form.data.get("identities")
    cards: list[tuple[int, str, str]] = []
    if not isinstance(raw, list) or len(raw) > 20:
        form.error("identities", "must be a list of {handle, identifier} (at most 20)")
        return values, cards
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("identifier"), str | int):
            form.error(f"identities.{i}", "must be an object with handle and identifier")
            continue
        handle = str(item.get("handle") or "card")[:64]
        identifier = str(item["identifier"]).strip()
        if not identifier or len(identifier) > 128:
            form.error(f"identities.{i}.identifier", "must be 1 to 128 characters")
            continue
        cards.append((i, handle, identifier))
    return values, cards


def _requested_id(data: Any) -> str | None:
    requested = data.get("id") if isinstance(data, dict) else None
    if requested is not None and (not isinstance(requested, str) or not 1 <= len(requested) <= 36):
        raise ValidationError.field("id", "must be a UUID string")
    return requested or None


class ProfileService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading ----------------------------------------------------------
    def get(self, profile_id: str) -> ProfileRecord:
        with self.ctx.reading() as s:
            return frozen.profile(get_or_not_found(s, Profile, profile_id, "profile"))

    def search(self, query: str, *, limit: int = SEARCH_PAGE,
               after: SearchCursor | None = None) -> list[ProfileRow]:
        """Name prefix, email prefix, phone digits or card number, from the local database."""
        return list(self.search_page(query, limit=limit, after=after).rows)

    def search_page(self, query: str, *, limit: int = SEARCH_PAGE,
                    after: SearchCursor | None = None) -> SearchPage:
        """A page of :meth:`search`, the rows that follow ``after`` in the search's order."""
        if not 1 <= limit <= 1000:
            raise ValidationError.field("limit", "must be between 1 and 1000")
        q = " ".join(query.strip().lower().split())
        if not q:
            return SearchPage((), None)
        digits = re.sub(r"[\s+()-]", "", q)
        key: Any = Profile.name_key
        with self.ctx.reading() as s:
            if digits.isdigit() and len(digits) >= 3:
                card_ids = select(Identity.profile_id).where(Identity.identifier == digits)
                where = or_(Profile.id.in_(card_ids), _prefix(Profile.phone_key, digits))
            elif "@" in q:
                key = Profile.email_key
                where = _prefix(Profile.email_key, q)
            elif " " in q:
                where = _prefix(Profile.name_key, q)
            else:
                where = _one_word_match(s, q, limit + 1, after)
            stmt = select(*_row_columns(), key.label("sort_key")).where(where)
            if after is not None:
                stmt = stmt.where(_after(key, after))
            # One row more than asked says whether another page follows.
            found = list(s.execute(stmt.order_by(key, Profile.id).limit(limit + 1)))
        rows = found[:limit]
        more = len(found) > limit
        last = rows[-1] if rows else None
        cursor = SearchCursor(last.sort_key, last.id) if more and last is not None else None
        return SearchPage(tuple(_row(r) for r in rows), cursor)

    def rows(self, profile_ids: Collection[str]) -> dict[str, ProfileRow]:
        """The search rows of these profiles as they are now, by id (gone ones are left out).

        The search list re-reads the rows an engine change touched with this, in one call.
        """
        ids = sorted(set(profile_ids))
        found: dict[str, ProfileRow] = {}
        with self.ctx.reading() as s:
            for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
                chunk = ids[start:start + 500]
                for r in s.execute(select(*_row_columns()).where(Profile.id.in_(chunk))):
                    found[r.id] = _row(r)
        return found

    def find_scan(self, code: str) -> ScanResult:
        """A scanned card opens its profile; a benefit's redeem code opens it with that benefit."""
        if not isinstance(code, str):
            raise ValidationError.field("code", "must be text")
        code = code.strip()
        if not code:
            raise ValidationError.field("code", "is empty")
        with self.ctx.reading() as s:
            profile_id = s.scalar(select(Identity.profile_id).where(Identity.identifier == code))
            if profile_id is not None:
                return ScanResult(profile_id, None)
            hit = s.execute(
                select(Benefit.profile_id, Benefit.id).where(Benefit.redeem_code_pos == code).limit(1)
            ).first()
            if hit is not None:
                return ScanResult(hit.profile_id, hit.id)
        raise NotFound("card or redeem code", code)

    def find_identity(self, identifier: str, handle: str | None = None) -> ProfileRecord:
        with self.ctx.reading() as s:
            query = select(Identity.profile_id).where(Identity.identifier == identifier)
            if handle:
                query = query.where(Identity.handle == handle)
            profile_id = s.scalar(query)
            if profile_id is None:
                raise NotFound("profile with identity", identifier)
            return frozen.profile(s.get_one(Profile, profile_id))

    def count(self) -> int:
        with self.ctx.reading() as s:
            return int(s.scalar(select(func.count()).select_from(Profile)) or 0)

    # -- writing ----------------------------------------------------------
    def _read(self, s: Session, data: Any, *, partial: bool, profile_id: str | None) -> dict[str, Any]:
        form = Form(data, partial=partial)
        values, cards = _form_values(form)
        if isinstance(values["email"], str) and "email" not in form.errors:
            clash = s.scalar(
                select(Profile.id).where(Profile.email_key == values["email"]).limit(1)
            )
            if clash is not None and clash != profile_id:
                form.error("email", EMAIL_TAKEN)
        if isinstance(values["home_store_id"], str) and s.get(Store, values["home_store_id"]) is None:
            form.error("home_store_id", f"no store with id {values['home_store_id']}")
        identities = None
        if cards is not None:
            identities = []
            for i, handle, identifier in cards:
                owner = s.scalar(
                    select(Identity.profile_id).where(
                        Identity.handle == handle, Identity.identifier == identifier
                    )
                )
                if owner is not None and owner != profile_id:
                    form.error(f"identities.{i}.identifier", card_taken(identifier))
                    continue
                identities.append((handle, identifier))
        form.done()
        out = {k: v for k, v in values.items() if present(v)}
        if identities is not None:
            out["identities"] = identities
        return out

    def create(self, actor: Actor, data: Any) -> ProfileRecord:
        require(actor, Action.EDIT_PROFILE)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            requested_id = _requested_id(data)
            if requested_id and s.get(Profile, requested_id) is not None:
                raise ValidationError.field("id", "a profile with this id already exists")
            values = self._read(s, data, partial=False, profile_id=requested_id)
            identities = values.pop("identities", [])
            values.setdefault("attributes", {})
            values.setdefault("home_store_id", actor.store_id)
            values.setdefault("join_date", uow.now.date())
            profile = Profile(id=requested_id or new_id(), created_at=uow.now, updated_at=uow.now,
                              **values)
            self._keys(profile)
            profile.identities = [Identity(id=new_id(), handle=h, identifier=i) for h, i in identities]
            s.add(profile)
            s.flush()
            body = wire.profile(profile)
            uow.record("profile.create", "profile", profile.id, profile_id=profile.id,
                       after=body, call=HubCall("POST", "/profiles", body))
            # RX2 Member Activation, in the creation's own transaction (a till offline too,
            # RX4). The period comes from the join date the record carries, so the hub,
            # applying the till's creation, derives the same id.
            fire(uow, "joined", profile.id, {"type": "joined"}, at=uow.judged_at,
                 every="joined", on=profile.join_date)
            return frozen.profile(profile)

    def create_many(self, actor: Actor,
                    rows: Sequence[Any]) -> list[ProfileRecord | ValidationError]:
        """Many new profiles in one unit of work (``hub import``, SPEC §8: a million in
        minutes). Each row is checked by exactly ``create``'s rules; what needs the database
        (an id, email or card already taken, an unknown store) is asked once for all rows
        instead of once each, and the rows are written with one INSERT per table. A row that
        fails gets its ``ValidationError`` in its place and writes nothing; the others are
        created, each with its audit event and change-feed row or outbox entry, as by
        ``create``."""
        require(actor, Action.EDIT_PROFILE)
        out: list[ProfileRecord | ValidationError | None] = [None] * len(rows)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            read: list[tuple[int, Form, dict[str, Any], list[tuple[int, str, str]], str | None]] = []
            for n, data in enumerate(rows):
                try:
                    requested = _requested_id(data)
                    form = Form(data)
                except ValidationError as exc:
                    out[n] = exc
                    continue
                values, cards = _form_values(form)
                read.append((n, form, values, cards or [], requested))
            taken = _Taken(s, read)
            now = uow.now
            made: list[tuple[int, ProfileRecord]] = []
            for n, form, values, cards, requested in read:
                pid = requested or new_id()
                if requested is not None and requested in taken.ids:
                    form.error("id", "a profile with this id already exists")
                email = values["email"]
                if isinstance(email, str) and "email" not in form.errors and email in taken.emails:
                    form.error("email", EMAIL_TAKEN)
                store = values["home_store_id"]
                if isinstance(store, str) and store not in taken.stores:
                    form.error("home_store_id", f"no store with id {store}")
                for i, handle, identifier in cards:
                    if (handle, identifier) in taken.cards:
                        form.error(f"identities.{i}.identifier", card_taken(identifier))
                if form.errors:
                    out[n] = ValidationError(form.errors)
                    continue
                record = _new_profile(pid, {k: v for k, v in values.items() if present(v)},
                                      [(h, i) for _, h, i in cards], actor, now)
                # Later rows of the batch meet this one as the database would show it.
                taken.ids.add(pid)
                if record.email_key:
                    taken.emails.add(record.email_key)
                taken.cards.update((c.handle, c.identifier) for c in record.identities)
                made.append((n, record))
            if made:
                # One executemany per table on the session's connection (``insert_many``):
                # the rows are new and never read back as objects here, so the ORM's bulk
                # path (a quarter of an import's time, issue 16) adds nothing. Every row
                # names every column (None is NULL, as no Profile column with a default is
                # ever None here), values through the same column types as the ORM's.
                conn = s.connection()
                profiles = [_profile_row(r) for _, r in made]
                identities = [{"id": c.id, "profile_id": c.profile_id, "handle": c.handle,
                               "identifier": c.identifier} for _, r in made for c in r.identities]
                insert_many(conn, _PROFILES, profiles)
                insert_many(conn, _IDENTITIES, identities)
            for n, record in made:
                body = wire.profile(record)
                uow.record("profile.create", "profile", record.id, profile_id=record.id,
                           after=body, call=HubCall("POST", "/profiles", body))
                out[n] = record
            if made:
                # Their kept digests from the values just written, not read back (issue 16).
                uow.written("profile", Fingerprints(BY_NAME["profile"]).of_written(
                    profiles, identities))
        return [r for r in out if r is not None]

    def update(self, actor: Actor, profile_id: str, data: Any) -> ProfileRecord:
        require(actor, Action.EDIT_PROFILE)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            profile = get_or_not_found(s, Profile, profile_id, "profile")
            before = wire.profile(profile)
            old_tier = profile.tier
            values = self._read(s, data, partial=True, profile_id=profile_id)
            identities = values.pop("identities", None)
            for key, value in values.items():
                setattr(profile, key, value if key != "attributes" else (value or {}))
            if identities is not None:
                # Keep the rows that stay: the unit of work inserts new rows before it deletes
                # orphans, so re-creating a kept card would clash with itself.
                kept = {(i.handle, i.identifier): i for i in profile.identities}
                profile.identities = [
                    kept.get((h, i)) or Identity(id=new_id(), handle=h, identifier=i)
                    for h, i in identities
                ]
            self._keys(profile)
            profile.updated_at = uow.now
            s.flush()
            after = wire.profile(profile)
            changed = {k: after[k] for k in after if after[k] != before.get(k)}
            uow.record("profile.update", "profile", profile.id, profile_id=profile.id,
                       before=before, after=after,
                       call=HubCall("PUT", f"/profiles/{profile.id}", changed))
            if profile.tier != old_tier:
                # RX2 tier attainment: the hub runs it (a till does not, RX4).
                at = uow.judged_at
                fire(uow, "tier_changed", profile.id,
                     {"type": "tier_changed", "from": old_tier, "to": profile.tier}, at=at,
                     every=f"tier:{old_tier}>{profile.tier}:{at.isoformat()}")
            return frozen.profile(profile)

    @staticmethod
    def _keys(profile: Profile) -> None:
        profile.name_key = name_key(profile.first_name, profile.last_name)
        profile.last_name_key = profile.last_name.lower()
        profile.email_key = profile.email.lower() if profile.email else None
        profile.phone_key = phone_key(profile.mobile_phone)


class _Taken:
    """What the database already holds of a batch's ids, emails, cards and stores: one query
    per kind of key (in slices, under every backend's bound-parameter limit)."""

    _SLICE = 500

    def __init__(self, s: Session, read: Sequence[tuple[int, Form, dict[str, Any],
                                                        list[tuple[int, str, str]], str | None]]):
        ids = [r[4] for r in read if r[4]]
        emails = [r[2]["email"] for r in read if isinstance(r[2]["email"], str)]
        stores = {r[2]["home_store_id"] for r in read if isinstance(r[2]["home_store_id"], str)}
        identifiers = {i for r in read for _, _, i in r[3]}
        self.ids: set[str] = self._found(s, Profile.id, ids)
        self.emails: set[str] = self._found(s, Profile.email_key, emails)
        self.stores: set[str] = self._found(s, Store.id, list(stores))
        self.cards: set[tuple[str, str]] = set()
        wanted = list(identifiers)
        for start in range(0, len(wanted), self._SLICE):
            self.cards.update((h, i) for h, i in s.execute(
                select(Identity.handle, Identity.identifier).where(
                    Identity.identifier.in_(wanted[start:start + self._SLICE]))))

    @classmethod
    def _found(cls, s: Session, column: Any, values: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(values), cls._SLICE):
            found.update(s.scalars(select(column).where(
                column.in_(values[start:start + cls._SLICE]))))
        return found


def _new_profile(pid: str, values: dict[str, Any], cards: list[tuple[str, str]], actor: Actor,
                 now: datetime) -> ProfileRecord:
    """A new profile as ``create`` makes one (its defaults and search keys), as a record."""
    first, last = values["first_name"], values["last_name"]
    email, phone = values.get("email"), values.get("mobile_phone")
    return ProfileRecord(
        id=pid, first_name=first, last_name=last, email=email, mobile_phone=phone,
        gender=values.get("gender"), birth_date=values.get("birth_date"), tier=values.get("tier"),
        join_date=values["join_date"] if "join_date" in values else now.date(),
        home_store_id=values.get("home_store_id", actor.store_id),
        attributes=values.get("attributes", {}),
        name_key=name_key(first, last),
        last_name_key=last.lower(), email_key=email.lower() if email else None,
        phone_key=phone_key(phone), created_at=now, updated_at=now,
        identities=tuple(IdentityRecord(new_id(), pid, h, i) for h, i in cards))


_PROFILES: Table = Profile.__table__  # type: ignore[assignment]
_IDENTITIES: Table = Identity.__table__  # type: ignore[assignment]
_PROFILE_COLUMNS = tuple(c.key for c in _PROFILES.columns)


def _profile_row(record: ProfileRecord) -> dict[str, Any]:
    return {key: getattr(record, key) for key in _PROFILE_COLUMNS}
