"""Stores, staff and signing in (SPEC §5 sign-in, §3.7 manage staff)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select, update

from clienteling.engine import frozen, wire
from clienteling.engine.context import Context
from clienteling.engine.errors import AuthenticationFailed, NotFound, ValidationError
from clienteling.engine.form import Form, opt
from clienteling.engine.frozen import StaffRecord, StoreRecord
from clienteling.engine.models import Staff, Store, new_id
from clienteling.engine.permissions import Action, Actor, Role, require
from clienteling.engine.security import WITHHELD_HASH, hash_secret, verify_secret
from clienteling.engine.services.lookup import get_or_not_found

ROLES = tuple(r.value for r in Role)
# What ``actor_from`` reads from a staff member and their store.
_ACTOR = (select(Staff.id, Staff.username, Staff.display_name, Staff.role, Staff.store_id,
                 Staff.is_active, Store.timezone)
          .join(Store, Store.id == Staff.store_id).where(Staff.id == bindparam("id")))


def actor_from(staff: Staff) -> Actor:
    return Actor(
        staff_id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=Role(staff.role),
        store_id=staff.store_id,
        timezone=staff.store.timezone,
    )


def actor_of_row(staff_id: str, row: Any) -> Actor:
    """The acting identity from a row of ``_ACTOR``'s columns (``None``: no such staff member);
    NotFound or AuthenticationFailed for an unknown or inactive one."""
    if row is None:
        raise NotFound("staff member", staff_id)
    if not row.is_active:
        raise AuthenticationFailed(f"Staff member {row.username} is not active")
    return Actor(staff_id=row.id, username=row.username, display_name=row.display_name,
                 role=Role(row.role), store_id=row.store_id, timezone=row.timezone)


# The PIN policy by role (issue 9, docs/security.md): the more a role may do, the longer its
# PIN, since a stolen copy of a PIN hash is searched offline and every digit multiplies that
# search by ten. Associates keep 4 digits (they sign in many times a day, and their hashes
# reach only their own store's tills).
MAX_PIN_DIGITS = 8
MIN_PIN_DIGITS: dict[str, int] = {Role.ASSOCIATE.value: 4, Role.MANAGER.value: 6, Role.ADMIN.value: 6}


def read_pin(form: Form, name: str = "pin", role: str | None = None) -> str:
    """A PIN of digits, as long as ``role`` needs (the shortest any role allows if unknown)."""
    value = form.data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    least = MIN_PIN_DIGITS.get(role or "", min(MIN_PIN_DIGITS.values()))
    if not isinstance(value, str) or not value.isdigit() or not least <= len(value) <= MAX_PIN_DIGITS:
        article = "an" if role in ("associate", "admin") else "a"
        whom = f" for {article} {role}" if role in MIN_PIN_DIGITS else ""
        form.error(name, f"must be {least} to {MAX_PIN_DIGITS} digits{whom}")
        return ""
    return value


class StaffService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- stores ---------------------------------------------------------
    def create_store(self, actor: Actor | None, data: dict[str, Any]) -> StoreRecord:
        """Create a store. ``actor`` None is the deployment's own set-up (CLI, demo)."""
        if actor is not None:
            require(actor, Action.MANAGE_STAFF)
        form = Form(data)
        name = form.text("name", required=True, max_len=200)
        tz = form.timezone("timezone", required=True)
        store_id = form.text("id", max_len=36)
        form.done()
        with self.ctx.transaction(actor) as uow:
            store = Store(
                id=opt(store_id) or new_id(),
                name=name, timezone=tz, created_at=uow.now, updated_at=uow.now,
            )
            uow.session.add(store)
            uow.session.flush()
            # Stores are set up on the hub, so a till never queues one for upload.
            uow.record("store.create", "store", store.id, after=wire.store(store))
            return frozen.store(store)

    def stores(self) -> list[StoreRecord]:
        with self.ctx.reading() as s:
            return [frozen.store(row) for row in s.scalars(select(Store).order_by(Store.name))]

    # -- staff ----------------------------------------------------------
    def create_staff(self, actor: Actor | None, data: dict[str, Any]) -> StaffRecord:
        if actor is not None:
            require(actor, Action.MANAGE_STAFF)
        form = Form(data)
        username = form.handle("username", required=True)
        name = form.text("display_name", required=True, max_len=200)
        role = form.choice("role", ROLES, required=True)
        store_id = form.text("store_id", required=True, max_len=36)
        pin = read_pin(form, role=role)
        form.done()
        with self.ctx.transaction(actor) as uow:
            if uow.session.get(Store, store_id) is None:
                raise ValidationError.field("store_id", f"no store with id {store_id}")
            taken = uow.session.scalar(
                select(func.count()).select_from(Staff).where(Staff.username == username)
            )
            if taken:
                raise ValidationError.field("username", f"'{username}' is already taken")
            member = Staff(
                id=new_id(), username=username, display_name=name, role=role,
                store_id=store_id, pin_hash=hash_secret(pin), is_active=True,
                failed_attempts=0, created_at=uow.now, updated_at=uow.now,
            )
            uow.session.add(member)
            uow.session.flush()
            uow.session.refresh(member)
            uow.record("staff.create", "staff", member.id, after=wire.staff(member))
            return frozen.staff(member)

    def set_pin(self, actor: Actor | None, staff_id: str, data: dict[str, Any]) -> StaffRecord:
        """A new PIN, held to the policy of the staff member's role. Staff change their own;
        an admin (or the deployment, ``actor`` None) anyone's."""
        if actor is not None and actor.staff_id != staff_id:
            require(actor, Action.MANAGE_STAFF)
        member = self.get_staff(staff_id)
        form = Form(data)
        pin = read_pin(form, role=member.role)
        form.done()
        with self.ctx.transaction(actor) as uow:
            uow.session.execute(update(Staff).where(Staff.id == staff_id).values(
                pin_hash=hash_secret(pin), failed_attempts=0, locked_until=None,
                updated_at=uow.now))
            # The audit trail says that the PIN changed, never a hash of it.
            uow.record("staff.pin", "staff", staff_id, before={"pin": "set"},
                       after={"pin": "changed"})
        return self.get_staff(staff_id)

    def deactivate(self, actor: Actor | None, staff_id: str) -> StaffRecord:
        """Stop a staff member acting anywhere; the hub refuses them from the next request."""
        if actor is not None:
            require(actor, Action.MANAGE_STAFF)
        with self.ctx.transaction(actor) as uow:
            member = get_or_not_found(uow.session, Staff, staff_id, "staff member")
            if member.is_active:
                uow.session.execute(update(Staff).where(Staff.id == staff_id)
                                    .values(is_active=False, updated_at=uow.now))
                uow.record("staff.deactivate", "staff", staff_id,
                           before={"is_active": True}, after={"is_active": False})
        return self.get_staff(staff_id)

    def list_staff(self, *, active_only: bool = True) -> list[StaffRecord]:
        """Staff in name order; ``active_only``: those who can sign in here (active, and with a
        PIN hash this database was given, see ``security.WITHHELD_HASH``)."""
        with self.ctx.reading() as s:
            query = select(Staff).order_by(Staff.display_name)
            if active_only:
                query = query.where(Staff.is_active.is_(True), Staff.pin_hash != WITHHELD_HASH)
            return [frozen.staff(row) for row in s.scalars(query)]

    def get_staff(self, staff_id: str) -> StaffRecord:
        with self.ctx.reading() as s:
            return frozen.staff(get_or_not_found(s, Staff, staff_id, "staff member"))

    def actor(self, staff_id: str) -> Actor:
        """The acting identity for a known, active staff member (the hub's X-Staff-Id).

        The hub reads it on every write request (issue 9): one Core statement on a plain
        connection, not an ORM read in a transaction of its own (on PostgreSQL that was
        four round trips, now two: the pool's ping and the SELECT)."""
        with self.ctx.db.single_read() as conn:
            row = conn.execute(_ACTOR, {"id": staff_id}).first()
        return actor_of_row(staff_id, row)

    def sign_in(self, username: str, pin: str) -> Actor:
        """Check a PIN; five wrong PINs lock the account for five minutes (SPEC §5)."""
        now = self.ctx.clock.now()
        policy = self.ctx.policy
        with self.ctx.reading() as s:
            member = s.scalar(select(Staff).where(Staff.username == username))
        if member is None or not member.is_active:
            raise AuthenticationFailed("Unknown or inactive staff member")
        if member.locked_until is not None and member.locked_until > now:
            minutes = max(1, int((member.locked_until - now).total_seconds() + 59) // 60)
            raise AuthenticationFailed(
                f"Too many wrong PINs: {member.display_name}'s account is locked for "
                f"{minutes} more minute{'s' if minutes != 1 else ''}"
            )
        if isinstance(pin, str) and verify_secret(member.pin_hash, pin):
            with self.ctx.db.write() as s:
                s.execute(update(Staff).where(Staff.id == member.id)
                          .values(failed_attempts=0, locked_until=None))
            return actor_from(member)
        with self.ctx.db.write() as s:
            # Counted in the database, so two tills entering wrong PINs at once both count.
            failures = s.execute(
                update(Staff).where(Staff.id == member.id)
                .values(failed_attempts=Staff.failed_attempts + 1)
                .returning(Staff.failed_attempts)
            ).scalar_one()
            if failures >= policy.lockout_attempts:
                s.execute(update(Staff).where(Staff.id == member.id)
                          .values(failed_attempts=0, locked_until=now + policy.lockout_duration))
        if failures >= policy.lockout_attempts:
            raise AuthenticationFailed(
                f"Wrong PIN. {member.display_name}'s account is now locked for "
                f"{int(policy.lockout_duration.total_seconds() // 60)} minutes"
            )
        left = policy.lockout_attempts - failures
        raise AuthenticationFailed(
            f"Wrong PIN ({left} more attempt{'s' if left != 1 else ''} before the account locks)"
        )

    def authorise_override(self, username: str, pin: str) -> Actor:
        """A manager's PIN entered to authorise an associate's action (manager override)."""
        manager = self.sign_in(username, pin)
        if not manager.may(Action.AUTHORISE_OVERRIDE):
            raise AuthenticationFailed(f"{manager.display_name} is not a manager")
        return manager
