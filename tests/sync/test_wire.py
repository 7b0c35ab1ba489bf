"""One wire, both sides (issue 15): the push's entry, batch and result shapes and the
classification applied / refused / retry live in ``clienteling.sync.wire``; the hub builds
its results with it and the till reads single calls' answers with it, so the two agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from clienteling.engine.services.outbox import OutboxItem
from clienteling.hub.errors import ApiError
from clienteling.hub.push import _outcome, answer, parse_batch
from clienteling.sync.pusher import push_body, single_result
from clienteling.sync.wire import PushAnswer, push_status, read_batch, result_of

ANSWERS: list[tuple[int, dict[str, Any] | None]] = [
    (200, {"data": {"id": "p1"}}), (201, {"data": {"id": "r1"}}), (204, None),
    (400, {"message": "No redemptions left.", "code": "exhausted"}),
    (401, {"message": "Unknown staff.", "code": "unknown_staff"}),
    (403, {"message": "Not allowed.", "code": "forbidden"}),
    (404, {"message": "No such benefit.", "code": "not_found"}),
    (409, {"message": "Changed by another admin.", "code": "version_conflict",
           "expected_version": 3, "current_version": 4}),
    (409, {"message": "Still in progress.", "code": "idempotency_in_progress"}),
    (412, {"message": "Bad If-Match.", "code": "precondition_failed"}),
    (422, {"message": "first_name: required", "errors": {"first_name": ["required"]}}),
    (429, {"message": "Slow down."}), (500, None), (503, {"message": "Busy.", "code": "busy"}),
]


def test_the_classification_is_one_table() -> None:
    assert [push_status(s, (b or {}).get("code")) for s, b in ANSWERS] == [
        "applied", "applied", "applied", "refused", "refused", "refused", "refused",
        "refused", "retry", "refused", "refused", "retry", "retry", "retry"]


@pytest.mark.parametrize(("status", "body"), ANSWERS)
def test_hub_and_till_read_an_answer_alike(status: int, body: dict[str, Any] | None) -> None:
    raw = json.dumps(body).encode() if body is not None else b""
    on_hub = _outcome("k1", status, {"idempotent-replayed": "true"}, raw)
    response = httpx.Response(status, content=raw, headers={"Idempotent-Replayed": "true"})
    on_till = single_result("k1", response)
    assert on_till == on_hub
    # What the hub sends is what the till reads back.
    sent = PushAnswer.model_validate_json(answer([on_hub])).data[0]
    assert sent == on_hub
    if status == 409 and body and body["code"] == "version_conflict":
        assert (sent.expected_version, sent.current_version) == (3, 4)
    if status == 422:
        assert sent.errors == {"first_name": ["required"]} and sent.code == "validation_failed"


def test_a_results_wire_shape_has_only_what_applies() -> None:
    applied, refused = (json.loads(answer([result_of("a", 201, {"data": 1}, replayed=False),
                                           result_of("b", 400, {"code": "expired",
                                                                "message": "Expired."})]))
                        ["data"])
    assert applied == {"key": "a", "status": "applied", "http_status": 201,
                       "data": {"data": 1}, "replayed": False}
    assert refused == {"key": "b", "status": "refused", "http_status": 400, "code": "expired",
                       "message": "Expired."}


def _item(seq: int, **kw: Any) -> OutboxItem:
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    fields: dict[str, Any] = dict(
        seq=seq, id=f"e{seq}", idempotency_key=f"key-{seq}", method="PUT",
        path=f"/profiles/p{seq}", body={"email": None}, headers={"If-Match": "2"},
        occurred_at=at, staff_id="s1", store_id="st1", entity_type="profile",
        entity_id=f"p{seq}", profile_id=f"p{seq}", unit_id=f"u{seq}", status="in_flight",
        attempts=1, next_attempt_at=None, last_error=None, last_code=None, response=None,
        created_at=at, updated_at=at)
    fields.update(kw)
    return OutboxItem(**fields)


def test_the_tills_batch_is_what_the_hub_accepts() -> None:
    body = push_body([_item(1), _item(2, body=None, headers=None)])
    entries = parse_batch(json.loads(json.dumps(body)))
    assert [e.key for e in entries] == ["key-1", "key-2"]
    assert entries[0].body == {"email": None}  # a cleared field stays in the body
    assert entries[0].headers == {"If-Match": "2", "X-Staff-Id": "s1",
                                  "X-Occurred-At": "2026-01-05T09:00:00+00:00"}
    assert entries[1].body is None


def test_a_bad_batch_names_each_field() -> None:
    good = {"key": "k", "method": "POST", "path": "/profiles"}
    with pytest.raises(ApiError) as caught:
        parse_batch({"entries": [good, {"key": 7, "method": "", "path": "profiles",
                                        "headers": {"X-Staff-Id": 1}}, good]})
    assert caught.value.status == 422
    assert set(caught.value.errors or {}) == {"entries.1.key", "entries.1.method",
                                              "entries.1.path", "entries.1.headers"}
    body = caught.value.body()
    assert body["message"].startswith("entries.1.key: ")
    with pytest.raises(ApiError) as caught:
        parse_batch({"entries": [good, {**good, "key": " k"}]})
    assert caught.value.errors == {"entries.1.key": ["is used by an earlier entry of this push"]}
    assert read_batch({"entries": [{**good, "key": "  k  "}]}).entries[0].key == "k"
