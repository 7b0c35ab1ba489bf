"""``GET /sync/records``: the hub's current version of named records, for the pusher's
read-back; bad input is a 422 naming the field, never a 5xx."""

from __future__ import annotations

from tests.sync.conftest import SyncWorld
from tests.sync.support import stock


def test_records_are_answered_in_the_feeds_shape_or_as_deletes(sync_world: SyncWorld) -> None:
    sw = sync_world
    shop = stock(sw)
    http = sw.running.live.client(sw.world.token)
    found = http.get("/sync/records", params={"type": "profile",
                                              "id": [shop.profile_ids[0], "no-such-id"]})
    assert found.status_code == 200, found.text
    first, missing = found.json()["data"]
    assert (first["op"], first["id"], first["data"]["id"]) == ("upsert", shop.profile_ids[0],
                                                               shop.profile_ids[0])
    assert (missing["op"], missing["data"]) == ("delete", None)
    cases = [({"type": "nope", "id": "x"}, "type"), ({"type": "profile"}, "id"),
             ({"type": "profile", "id": [str(n) for n in range(101)]}, "id"),
             ({"type": "profile", "id": "x" * 37}, "id")]
    for params, field in cases:
        bad = http.get("/sync/records", params=params)
        assert bad.status_code == 422, (params, bad.text)
        assert any(field in key for key in bad.json()["errors"]), (params, bad.text)
    assert sw.running.live.client().get("/sync/records", params={"type": "profile", "id": "x"}
                                        ).status_code == 401
