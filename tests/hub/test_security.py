"""Who may act on a device, over HTTP (issue 9, docs/security.md): the staff scope of PIN
hashes and X-Staff-Id, admin actions only from admin devices, throttled token checks, and a
revoked token or deactivated staff member refused on the very next request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete

from clienteling.engine.clock import FixedClock
from clienteling.engine.models import TokenFailure, TokenTurn
from clienteling.engine.security import WITHHELD_HASH
from clienteling.engine.services import Clienteling
from clienteling.hub.throttle import (
    PER_ADDRESS,
    PER_LOOKUP,
    WINDOW_SECONDS,
    FailureThrottle,
    SharedThrottle,
    Throttle,
)
from tests.conftest import T0
from tests.hub.conftest import LiveHub, World, seed, truncate
from tests.hub.support import benefit_definition, ok, profile, refused, reward, reward_definition
from tests.internals import context_of, database_of


def _hashes(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["username"]: r["pin_hash"] for r in rows}


def _snapshot(client: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} if token is None else {"limit": 2, "next": token}
        page = ok(client.get("/sync/snapshot", params=params))
        entries.extend(page["data"])
        token = page["meta"]["next"]
        if token is None:
            return entries


def _feed(client: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    after = 0
    while True:
        page = ok(client.get("/sync/changes", params={"after": after, "limit": 5}))
        entries.extend(page["data"])
        after = page["meta"]["next"]
        if not page["meta"]["has_more"]:
            return entries


def test_a_till_receives_pin_hashes_only_of_the_staff_who_may_act_on_it(world: World) -> None:
    till, admin_device = world.device(), world.live.client(world.admin_token)
    other_till = world.live.client(world.other_token)
    mine = {"associate-a", "manager-a"}
    for source in (lambda c: ok(c.get("/staff"))["data"],
                   lambda c: [e["data"] for e in _snapshot(c) if e["type"] == "staff"],
                   lambda c: [e["data"] for e in _feed(c) if e["type"] == "staff"]):
        at_till = _hashes(source(till))
        # Every record arrives (rewards and redemptions name staff of other stores) …
        assert set(at_till) == {"associate-a", "manager-a", "admin-a", "manager-b"}
        # … but a PIN hash only for the till's own associates and managers.
        assert {u for u, h in at_till.items() if h.startswith("$argon2")} == mine
        assert {u for u, h in at_till.items() if h == WITHHELD_HASH} == {"admin-a", "manager-b"}
        at_admin_device = _hashes(source(admin_device))
        assert {u for u, h in at_admin_device.items() if h.startswith("$argon2")} == mine | {"admin-a"}
        at_other = _hashes(source(other_till))
        assert {u for u, h in at_other.items() if h.startswith("$argon2")} == {"manager-b"}


def test_x_staff_id_only_for_staff_who_may_act_on_the_device(world: World) -> None:
    body = {"first_name": "Ann", "last_name": "Lee"}
    ok(world.as_("associate").post("/profiles", json=body), 201)
    ok(world.as_("manager").post("/profiles", json=body), 201)
    # Another store's manager, at this store's till: 403 in words.
    refused_body = refused(world.live.client(world.token, world.other_manager)
                           .post("/profiles", json=body), 403, "wrong_store")
    assert "Bo belongs to another store than Till 1" in refused_body["message"]
    # An admin at a till (any store's): 403, even for a read.
    for token in (world.token, world.other_token):
        answer = refused(world.live.client(token, world.staff["admin"]).get("/profiles"), 403,
                         "admin_device_required")
        assert "admin capability" in answer["message"]
    # An override by someone who may not act here is refused the same way.
    refused(world.as_("associate", **{"X-Authorised-By": world.other_manager})
            .post("/profiles", json=body), 403, "wrong_store")
    # At the admin device: the store's staff and the admin.
    ok(world.live.client(world.admin_token, world.staff["associate"]).post("/profiles", json=body),
       201)
    ok(world.as_("admin").post("/profiles", json=body), 201)


def test_admin_actions_only_from_an_admin_device(world: World) -> None:
    admin = world.as_("admin")
    definition = benefit_definition(admin)
    rd = reward_definition(admin)
    pid = profile(admin)["id"]
    reward(admin, rd["id"], pid)
    # The same admin through a till: nothing admin-only gets through.
    at_till = world.live.client(world.token, world.staff["admin"])
    for response in (
        at_till.post("/benefits/definitions", json={"name": "X", "handle": "x-till"}),
        at_till.put(f"/benefits/definitions/{definition['id']}", json={"name": "Y"},
                    headers={"If-Match": str(definition["version"])}),
        at_till.post("/rewards/definitions", json={"name": "Z", "handle": "z-till",
                                                   "type": "customer-service", "value": "5.00"}),
    ):
        refused(response, 403, "admin_device_required")
    # Managers at the till keep their own powers (issue a reward), not the admin's.
    reward(world.as_("manager"), rd["id"], pid)
    refused(world.as_("manager").post("/benefits/definitions", json={"name": "X", "handle": "x2"}),
            403, "forbidden")


def test_a_device_digest_is_over_what_it_receives(world: World, tmp_path: Path) -> None:
    """A till that applied its snapshot has the digest the hub gives that till, although
    the hub's own copy holds every PIN hash."""
    admin = world.as_("admin")
    pid = profile(admin)["id"]
    rd = reward_definition(admin)
    reward(admin, rd["id"], pid)  # issued by the admin: the till needs their record
    till = world.device()
    copy = Clienteling.open(f"sqlite:///{tmp_path / 'till.db'}", clock=FixedClock(T0), mode="till")
    try:
        snapshot = _snapshot(till)
        copy.remote.apply(snapshot)
        assert copy.digest.summary() == ok(till.get("/sync/digest"))["data"]
        # The admin device's view differs from the till's by exactly the admin's PIN hash.
        assert (ok(world.live.client(world.admin_token).get("/sync/digest"))["data"]["types"]
                ["staff"] != copy.digest.summary()["types"]["staff"])
        # Nobody outside the till's scope can sign in on it.
        assert {s.username for s in copy.staff.list_staff()} == {"associate-a", "manager-a"}
        assert copy.staff.sign_in("manager-a", "731405").username == "manager-a"
    finally:
        copy.close()


def _throttle(world: World, clock: Callable[[], float]) -> FailureThrottle:
    """A throttle with no failures yet, of the kind the hub uses on this backend: on
    PostgreSQL the counts every worker shares, in the database (issue 19)."""
    if world.hub.cl.dialect != "postgresql":
        return Throttle(clock=clock)
    with context_of(world.hub.cl).db.write() as s:
        s.execute(delete(TokenFailure))
        s.execute(delete(TokenTurn))
    return SharedThrottle(world.hub.cl.token_failures, clock=clock)


def test_failed_token_checks_are_throttled_by_prefix_and_address(world: World) -> None:
    times = [1000.0]
    world.hub.throttle = _throttle(world, lambda: times[0])
    good = world.token
    ok(world.device().get("/profiles"))  # the till at work: its token verified once
    # Wrong secrets for a real token's prefix: each one costs an argon2 check, so only a few.
    guess = good[: good.rindex("_") + 1] + "x" * 43
    for _ in range(PER_LOOKUP):
        refused(world.live.client(guess).get("/profiles"), 401)
    throttled = world.live.client(guess).get("/profiles")
    refused(throttled, 429, "throttled")
    # Rationed, not refused: the prefix's next argon2 check is one turn away (issue 19).
    assert int(throttled.headers["Retry-After"]) == WINDOW_SECONDS / PER_LOOKUP
    # Another till's token (another prefix, first check) still gets through …
    ok(world.live.client(world.other_token).get("/profiles"))
    # … and so does this till, whose token was verified before (no argon2 check needed).
    ok(world.device().get("/profiles"))
    times[0] += 61
    refused(world.live.client(guess).get("/profiles"), 401)

    # Many prefixes from one address: the address is held back.
    world.hub.throttle = _throttle(world, lambda: times[0])
    for n in range(PER_ADDRESS):
        refused(world.live.client(f"clt_{n:016x}_secret").get("/profiles"), 401)
    answer = world.live.client("clt_ffffffffffffffff_secret").get("/profiles")
    refused(answer, 429, "throttled")
    assert 0 < int(answer.headers["Retry-After"]) <= 60


def test_a_working_till_is_never_throttled_by_other_peoples_failures(world: World) -> None:
    """Issue 19: a stranger sending bad tokens from a shop's address (or with one till's
    prefix) must not lock the shop's working tills out. A token that verifies is served
    whatever the failure counts say; the counts only slow down tokens that fail."""
    times = [1000.0]
    world.hub.throttle = _throttle(world, lambda: times[0])
    ok(world.device().get("/profiles"))  # the till at work: verified once
    # Many made-up tokens from the shop's address (every client here is 127.0.0.1) …
    for n in range(PER_ADDRESS):
        refused(world.live.client(f"clt_{n:016x}_secret").get("/profiles"), 401)
    refused(world.live.client("clt_ffffffffffffffff_secret").get("/profiles"), 429, "throttled")
    # … hold back the stranger, not the tills: the one at work, and one never seen before.
    ok(world.device().get("/profiles"))
    ok(world.live.client(world.other_token).get("/profiles"))
    # Wrong secrets for this till's own prefix slow the guesser down, not the till, however
    # long ago its token was last verified.
    guess = world.token[: world.token.rindex("_") + 1] + "x" * 43
    for _ in range(PER_LOOKUP):
        refused(world.live.client(guess).get("/profiles"), 401)
    refused(world.live.client(guess).get("/profiles"), 429, "throttled")
    times[0] += 3600.0
    for _ in range(PER_LOOKUP):
        world.live.client(guess).get("/profiles")
    ok(world.device().get("/profiles"))


def test_a_throttled_prefix_still_gets_a_rationed_check(world: World) -> None:
    """A token never verified by this worker (a hub restarted) whose prefix a guesser is
    hammering: the argon2 work stays bounded (one check per prefix every WINDOW / PER_LOOKUP
    seconds), and the right token gets through at its turn instead of never."""
    times = [5000.0]
    world.hub.throttle = _throttle(world, lambda: times[0])
    token = world.hub.cl.devices.create_token(
        None, {"store_id": world.store_id, "name": "Till 2"})[0]
    guess = token[: token.rindex("_") + 1] + "y" * 43
    for _ in range(PER_LOOKUP):
        refused(world.live.client(guess).get("/profiles"), 401)
    refused(world.live.client(token).get("/profiles"), 429, "throttled")
    refused(world.live.client(guess).get("/profiles"), 429, "throttled")
    times[0] += WINDOW_SECONDS / PER_LOOKUP
    ok(world.live.client(token).get("/profiles"))
    # The turn was taken: the guesser waits for the next one.
    refused(world.live.client(guess).get("/profiles"), 429, "throttled")


def test_the_right_token_waits_while_its_prefix_is_throttled(world: World) -> None:
    world.hub.throttle = _throttle(world, lambda: 5000.0)
    token, _ = world.hub.cl.devices.create_token(
        None, {"store_id": world.store_id, "name": "Till 2"})
    guess = token[: token.rindex("_") + 1] + "y" * 43
    for _ in range(PER_LOOKUP):
        refused(world.live.client(guess).get("/profiles"), 401)
    refused(world.live.client(token).get("/profiles"), 429, "throttled")


def test_workers_on_one_postgres_database_share_the_failure_counts(
    pg_database: str, start_hub: Callable[..., LiveHub],
) -> None:
    """Issue 19: several hub processes on one database give a guesser one allowance between
    them, not one each, and ration a prefix's argon2 checks together. Two hubs over the same
    database, each with its own memory, as two workers are."""
    truncate(pg_database)
    world = seed(start_hub(pg_database))
    second = start_hub(pg_database)
    assert isinstance(world.hub.throttle, SharedThrottle)
    assert isinstance(second.hub.throttle, SharedThrottle)
    times = [7000.0]
    world.hub.throttle = _throttle(world, lambda: times[0])
    second.hub.throttle = SharedThrottle(second.hub.cl.token_failures, clock=lambda: times[0])
    hubs = (world.live, second)
    ok(world.device().get("/profiles"))  # the till at work, verified by the first worker
    guess = world.token[: world.token.rindex("_") + 1] + "z" * 43
    for n in range(PER_LOOKUP):  # the guesses alternate between the two workers
        refused(hubs[n % 2].client(guess).get("/profiles"), 401)
    for live in hubs:
        refused(live.client(guess).get("/profiles"), 429, "throttled")
    times[0] += WINDOW_SECONDS / PER_LOOKUP
    ok(second.client(world.token).get("/profiles"))  # the turn, taken on the second worker …
    refused(world.live.client(guess).get("/profiles"), 429, "throttled")  # … is gone on both
    # The address has the prefix's failures already: the rest of its allowance, shared too.
    for n in range(PER_ADDRESS - PER_LOOKUP):
        refused(hubs[n % 2].client(f"clt_{n:016x}_secret").get("/profiles"), 401)
    for live in hubs:
        refused(live.client("clt_ffffffffffffffff_secret").get("/profiles"), 429, "throttled")
    # The working till is served on both: verified before by each (the second at its turn).
    ok(world.device().get("/profiles"))
    ok(second.client(world.token).get("/profiles"))


def test_revoked_token_and_deactivated_staff_stop_on_the_next_request_on_every_worker(
    hub_url: str, start_hub: Callable[..., LiveHub], world: World,
) -> None:
    # A second hub over the same database, as a second worker process would be: its own
    # memory, so only what is in the database can tell it.
    second = start_hub(hub_url)
    manager = world.staff["manager"]
    first_client, second_client = world.live.client(world.token, manager), second.client(
        world.token, manager)
    ok(first_client.get("/profiles"))
    ok(second_client.get("/profiles"))  # both have verified (and remembered) the token
    world.hub.cl.staff.deactivate(None, manager)
    for client in (first_client, second_client):
        refused(client.post("/profiles", json={"first_name": "A"}), 401, "staff_inactive")
    ok(world.device().get("/profiles"))
    associate = world.staff["associate"]
    writers = [live.client(world.token, associate) for live in (world.live, second)]
    for client in writers:
        ok(client.post("/profiles", json={"first_name": "B", "last_name": "Y"},
                       headers={"Idempotency-Key": "k"}), 201)
    token_id = next(t.id for t in world.hub.cl.devices.tokens() if t.name == "Till 1")
    second.hub.cl.devices.revoke(None, token_id)
    for live in (world.live, second):
        refused(live.client(world.token).get("/profiles"), 401, "unauthenticated")
    for client in writers:  # a change, and a replay of one, as well as a read
        refused(client.post("/profiles", json={"first_name": "C", "last_name": "Y"}), 401, "unauthenticated")
        refused(client.post("/profiles", json={"first_name": "B", "last_name": "Y"},
                            headers={"Idempotency-Key": "k"}), 401, "unauthenticated")


def test_a_change_reads_its_token_staff_member_and_key_with_one_statement(world: World) -> None:
    """SPEC §8 (hub redeems per second): for a till's token verified before, a change reads
    the token's row, the staff member's and the key's stored answer with one statement, still
    on every request (issue 9: a revoked token or deactivated staff member stops at once)."""
    manager = world.as_("manager")
    ok(manager.get("/profiles"))  # the token is verified (argon2) and remembered

    def reads_before_writing(key: str) -> list[str]:
        statements: list[str] = []
        stop = database_of(world.hub.cl).on_statement(statements.append)
        try:
            response = manager.post("/profiles", json={"first_name": "A", "last_name": "B"},
                                    headers={"Idempotency-Key": key})
        finally:
            stop()
        ok(response, 201)
        words = [" ".join(s.split()) for s in statements]
        first_write = next((i for i, s in enumerate(words)
                            if s.upper().startswith(("INSERT", "UPDATE", "BEGIN IMMEDIATE"))),
                           len(words))
        return [s for s in words[:first_write] if s.upper().startswith("SELECT")]

    for replay in (False, True):  # the change, then a replay of its key
        reads = reads_before_writing("one-read")
        assert len(reads) == 1, (replay, reads)
        assert all(t in reads[0] for t in ("device_tokens", "JOIN staff", "idempotency_records"))
