"""Every field of the benefit and reward definitions, arranged in the editor's sections
(UX "Dialogs": Basics, Limits, Claiming, Visibility, Codes, Copy). Pure data, no Qt; a test
checks the benefit fields cover ``clienteling.engine.wire``'s lists."""

from __future__ import annotations

from dataclasses import dataclass

from clienteling.engine.services.definitions import CATEGORIES, REWARD_TYPES

BENEFIT_SECTIONS = ("Basics", "Limits", "Claiming", "Visibility", "Codes", "Copy")
REWARD_SECTIONS = ("Basics", "Limits")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # text multiline int flag maybe_flag choice instant money tags json condition timeframe counter
    section: str
    hint: str = ""
    choices: tuple[str, ...] = ()


def _f(name: str, label: str, kind: str, section: str, hint: str = "",
       choices: tuple[str, ...] = ()) -> FieldSpec:
    return FieldSpec(name, label, kind, section, hint, choices)


TIME_HINT = "YYYY-MM-DD HH:MM, store time"

BENEFIT_FIELDS: tuple[FieldSpec, ...] = (
    # Basics
    _f("name", "Name", "text", "Basics"),
    _f("handle", "Handle", "text", "Basics", "URL-safe: letters, digits, - and _"),
    _f("category", "Category", "choice", "Basics", choices=CATEGORIES),
    _f("description", "Description", "text", "Basics"),
    _f("short_description", "Short description", "text", "Basics"),
    _f("tags", "Tags", "tags", "Basics", "comma separated"),
    _f("icon", "Icon", "text", "Basics"),
    _f("image_url", "Image URL", "text", "Basics"),
    _f("is_published", "Published", "flag", "Basics"),
    _f("is_archived", "Archived", "flag", "Basics"),
    _f("discount", "Discount at the counter", "json", "Basics",
       '{"percent_off": "10", "categories": ["denim"], "skus": [], "full_price_only": true}'),
    # Limits
    _f("period", "Valid for (days)", "int", "Limits", "after issue; empty = no expiry"),
    _f("end_at", "Redeem until", "instant", "Limits", TIME_HINT),
    _f("max_redemptions", "Uses per customer", "int", "Limits", "empty = unlimited"),
    _f("max_global_redemptions", "Uses in total", "int", "Limits", "across all customers; empty = unlimited"),
    _f("total_allocations", "Allocations", "int", "Limits", "instances that may be issued; empty = no cap"),
    _f("is_assignable", "Can be issued to customers", "flag", "Limits"),
    _f("is_extendable", "Can be extended", "flag", "Limits"),
    _f("is_reassignable", "Can move to another customer", "flag", "Limits"),
    _f("total_global_redemptions", "Redeemed so far", "counter", "Limits"),
    _f("total_issued", "Issued so far", "counter", "Limits"),
    # Claiming
    _f("is_claimable", "Customers can claim it", "flag", "Claiming"),
    _f("is_reclaimable", "Can be claimed again", "maybe_flag", "Claiming",
       "once the last one is used up or expired"),
    _f("claim_period_start_at", "Claim from", "instant", "Claiming", TIME_HINT),
    _f("claim_period_end_at", "Claim until", "instant", "Claiming", TIME_HINT),
    _f("claim_condition", "Claim condition", "condition", "Claiming",
       'JsonLogic, e.g. {"==": [{"var": "tier"}, "gold"]}; empty = everyone'),
    _f("claim_timeframe", "Claim timeframe", "timeframe", "Claiming"),
    # Visibility
    _f("visibility_condition", "Visibility condition", "condition", "Visibility",
       "JsonLogic; empty = visible to everyone"),
    # Codes
    _f("redeem_code_pos", "In-store code prefix", "text", "Codes",
       "each benefit gets its own code starting with this"),
    _f("redeem_code_online", "Online code", "text", "Codes"),
    # Copy
    _f("long_description", "Long description", "multiline", "Copy"),
    _f("terms_conditions", "Terms and conditions", "multiline", "Copy"),
    _f("earn_instructions", "How to earn it", "multiline", "Copy"),
    _f("redeem_instructions_store", "How to redeem in store", "multiline", "Copy"),
    _f("redeem_instructions_online", "How to redeem online", "multiline", "Copy"),
    _f("internal_notes", "Internal notes", "multiline", "Copy", "staff only"),
    _f("notify_schedule_offset", "Notify: schedule offset", "int", "Copy"),
    _f("notify_issue_offset_days", "Notify on issue: days", "int", "Copy"),
    _f("notify_issue_offset_hour", "Notify on issue: hour", "int", "Copy"),
    _f("issue_target_id", "Notify on issue: target", "text", "Copy"),
    _f("notify_remind_offset_days", "Reminder: days", "int", "Copy"),
    _f("notify_remind_offset_hour", "Reminder: hour", "int", "Copy"),
    _f("remind_target_id", "Reminder: target", "text", "Copy"),
    _f("notify_extend_offset_days", "Notify on extend: days", "int", "Copy"),
    _f("notify_extend_offset_hour", "Notify on extend: hour", "int", "Copy"),
    _f("extend_target_id", "Notify on extend: target", "text", "Copy"),
)

REWARD_FIELDS: tuple[FieldSpec, ...] = (
    _f("name", "Name", "text", "Basics"),
    _f("handle", "Handle", "text", "Basics", "URL-safe: letters, digits, - and _"),
    _f("type", "Type", "choice", "Basics", choices=REWARD_TYPES),
    _f("description", "Description", "text", "Basics"),
    _f("is_published", "Published", "flag", "Basics"),
    _f("is_archived", "Archived", "flag", "Basics"),
    _f("value", "Default amount", "money", "Limits", "empty = staff enter the amount"),
    _f("max_value", "Largest amount", "money", "Limits", "empty = no maximum"),
    _f("period", "Valid for (days)", "int", "Limits", "empty = no expiry"),
    _f("is_extendable", "Can be extended", "flag", "Limits"),
    _f("extend_days", "Extend by (days)", "int", "Limits"),
    _f("excluded_categories", "Not for categories", "tags", "Limits", "e.g. gift_card, shipping"),
)

#: what a new definition starts with
BENEFIT_DEFAULTS = {"category": "entitlement", "is_assignable": True, "is_published": False}
REWARD_DEFAULTS = {"type": "customer-service", "is_published": True}


def fields_for(kind: str) -> tuple[FieldSpec, ...]:
    return BENEFIT_FIELDS if kind == "benefit" else REWARD_FIELDS


def sections_for(kind: str) -> tuple[str, ...]:
    return BENEFIT_SECTIONS if kind == "benefit" else REWARD_SECTIONS
