"""Request bodies and headers as documented in the OpenAPI description.

These describe what the endpoints accept; the engine's readers (``engine.form``)
do the checking, so a body that breaks these schemas gets the engine's named 422,
never a framework error. The fuzz tests walk these descriptions.
"""

from __future__ import annotations

from typing import Any

TEXT: dict[str, Any] = {"type": ["string", "null"]}
ID: dict[str, Any] = {"type": "string", "maxLength": 36, "description": "UUID; a till may supply it"}
INT: dict[str, Any] = {"type": ["integer", "null"]}
FLAG: dict[str, Any] = {"type": ["boolean", "null"]}
MONEY: dict[str, Any] = {"type": ["string", "number"], "description": "decimal string, e.g. \"20.00\""}
TIME: dict[str, Any] = {"type": ["string", "null"],
                        "description": "ISO 8601; without an offset it is wall time in `timezone`"}
ZONE: dict[str, Any] = {"type": "string", "description": "IANA time zone, e.g. Australia/Melbourne"}
JSON_ANY: dict[str, Any] = {}
IDS: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 100}


def obj(required: tuple[str, ...] = (), **props: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": True}
    if required:
        schema["required"] = list(required)
    return schema


PROFILE = obj(
    ("first_name", "last_name"),
    id=ID, first_name={"type": "string"}, last_name={"type": "string"}, email=TEXT,
    mobile_phone=TEXT, gender=TEXT, birth_date=TEXT, tier=TEXT, join_date=TEXT,
    home_store_id=TEXT, attributes={"type": ["object", "null"]},
    identities={"type": "array", "items": obj(("identifier",), handle=TEXT,
                                              identifier={"type": "string"})},
)
PROFILE_UPDATE = {**PROFILE, "required": []}
SEARCH_ID = obj(("type", "id"), type={"type": "string"}, id={"type": ["string", "integer"]})

_BENEFIT_DEFINITION_TEXT = (
    "description", "short_description", "long_description", "terms_conditions",
    "earn_instructions", "redeem_instructions_store", "redeem_instructions_online",
    "internal_notes", "redeem_code_pos", "redeem_code_online", "icon", "image_url",
    "remind_target_id", "extend_target_id", "issue_target_id",
)
_BENEFIT_DEFINITION_INTS = (
    "period", "max_redemptions", "max_global_redemptions", "total_allocations",
    "notify_schedule_offset", "notify_issue_offset_days", "notify_issue_offset_hour",
    "notify_remind_offset_days", "notify_remind_offset_hour", "notify_extend_offset_days",
    "notify_extend_offset_hour",
)
_BENEFIT_DEFINITION_FLAGS = (
    "is_claimable", "is_extendable", "is_assignable", "is_reassignable", "is_published",
    "is_archived", "is_reclaimable",
)
BENEFIT_DEFINITION = obj(
    ("name", "handle"),
    id=ID, name={"type": "string"}, handle={"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
    **{n: TEXT for n in _BENEFIT_DEFINITION_TEXT},
    **{n: INT for n in _BENEFIT_DEFINITION_INTS},
    **{n: FLAG for n in _BENEFIT_DEFINITION_FLAGS},
    claim_period_start_at=TIME, claim_period_end_at=TIME, end_at=TIME,
    claim_condition=JSON_ANY, visibility_condition=JSON_ANY,
    claim_timeframe={"type": ["object", "null"], "description": "SPEC §3.4 claim timeframe block"},
    tags={"type": ["array", "null"], "items": {"type": "string"}},
    category={"type": ["string", "null"], "enum": ["product_discount", "free_product",
                                                   "entitlement", None]},
    discount={"type": ["object", "null"]},
)
BENEFIT_DEFINITION_UPDATE = {**BENEFIT_DEFINITION, "required": []}

ISSUE_BENEFIT = obj(
    ("benefit_definition_id", "profile_id"),
    id=ID, benefit_definition_id={"type": "string"}, profile_id={"type": "string"},
    issued_at=TIME, expires_at=TIME, timezone=ZONE, external_id=TEXT,
)
UPDATE_BENEFIT = obj(expires_at=TIME, profile_id={"type": "string"}, timezone=ZONE)
EXTEND = obj(("ids", "profile_id"), ids=IDS, profile_id={"type": "string"},
             extend_days={"type": "integer", "minimum": 1, "maximum": 3650}, extend_date=TIME,
             timezone=ZONE)
REWARD_EXTEND = obj(("ids", "profile_id"), ids=IDS, profile_id={"type": "string"})
CLAIM = obj(("definition",), definition={"type": "string", "description": "definition handle or id"},
            timezone=ZONE, benefit_id=ID, external_id=TEXT)
CLAIM_REDEEM = obj(("definition",), definition={"type": "string"}, timezone=ZONE, benefit_id=ID,
                   redemption_id=ID, transaction_receipt_ref=TEXT, location_id=TEXT)
REDEEM_BENEFIT = obj(redemption_id=ID, location_id=TEXT, transaction_receipt_ref=TEXT,
                     count={"type": "integer", "enum": [1]})

REWARD_DEFINITION = obj(
    ("name", "handle", "type"),
    id=ID, name={"type": "string"}, handle={"type": "string"},
    type={"type": "string", "enum": ["activation", "birthday", "spend", "anniversary", "campaign",
                                     "customer-service", "reactivation", "staff", "bonus", "other"]},
    description=TEXT, value={**MONEY, "type": ["string", "number", "null"]},
    max_value={**MONEY, "type": ["string", "number", "null"]}, period=INT, is_extendable=FLAG,
    extend_days=INT, excluded_categories={"type": ["array", "null"], "items": {"type": "string"}},
    is_published=FLAG, is_archived=FLAG,
)
REWARD_DEFINITION_UPDATE = {**REWARD_DEFINITION, "required": []}
ISSUE_REWARD = obj(
    ("profile_id", "reason"),
    id=ID, profile_id={"type": "string"}, reward_definition_id={"type": "string"},
    reward_definition_handle={"type": "string"}, value_initial=MONEY, timezone=ZONE,
    reason={"type": "string"}, external_id=TEXT, issued_at=TIME, expires_at=TIME,
)
REDEEM_AMOUNT = obj(
    ("amount",),
    amount=MONEY, strategies={"type": "array", "items": {"type": "string", "enum": ["rewards"]}},
    location_id=TEXT, transaction_receipt_ref=TEXT, redemption_id=ID, currency={"type": "string"},
)
REVERSAL = obj(reversal_id=ID)

WRITE_HEADERS: list[dict[str, Any]] = [
    {"name": "X-Staff-Id", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "the staff member making the change"},
    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "a repeat returns the first response without doing the work again"},
    {"name": "X-Occurred-At", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "ISO 8601 with offset: when a replayed change happened at the till"},
    {"name": "X-Authorised-By", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "manager override: the manager's staff id"},
]
IF_MATCH: dict[str, Any] = {
    "name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "the version the edit is based on; a stale one is 409",
}


def write_doc(body: dict[str, Any] | None = None, *, if_match: bool = False) -> dict[str, Any]:
    """``openapi_extra`` for a write endpoint: its body schema and the hub's headers."""
    doc: dict[str, Any] = {"parameters": [*WRITE_HEADERS, *([IF_MATCH] if if_match else [])]}
    if body is not None:
        doc["requestBody"] = {"required": False,
                              "content": {"application/json": {"schema": body}}}
    return doc
