"""The reaction trigger as a form, not JSON (SPEC RX2): each type shows only its own fields and
reads and writes the wire shape; the list says a trigger in words."""

from __future__ import annotations

from typing import Any

import pytest

from clienteling.ui.reactions.trigger_form import TriggerForm
from clienteling.ui.reactions.words import TRIGGER_FIELDS, TRIGGER_TYPES, limit_words, trigger_words


def _shown(form: TriggerForm) -> set[str]:
    return {name for name, box in form._rows.items()
            if name != "type" and form.layout_.isRowVisible(box)}


def test_each_type_shows_only_its_own_fields(qtbot: Any) -> None:
    form = TriggerForm()
    qtbot.addWidget(form)
    for wire, _words in TRIGGER_TYPES:
        form.set_kind(wire)
        assert _shown(form) == set(TRIGGER_FIELDS[wire]), wire


@pytest.mark.parametrize("trigger", [
    {"type": "joined"},
    {"type": "tier_changed", "from": "silver", "to": "gold"},
    {"type": "tier_changed", "to": "gold"},
    {"type": "birthday", "when": "month"},
    {"type": "birthday", "when": "day"},
    {"type": "join_anniversary"},
    {"type": "purchase", "min_spend": "100.00"},
    {"type": "purchase"},
    {"type": "spend_milestone", "threshold": "500.00"},
    {"type": "lapsed", "days": 180},
])
def test_the_wire_shape_goes_in_and_comes_out_the_same(qtbot: Any, trigger: dict[str, Any]) -> None:
    form = TriggerForm()
    qtbot.addWidget(form)
    form.set_value(trigger)
    assert form.value() == trigger


def test_typed_values_become_the_wire_shape(qtbot: Any) -> None:
    form = TriggerForm()
    qtbot.addWidget(form)
    form.set_kind("lapsed")
    form.edits["days"].setText(" 90 ")
    assert form.value() == {"type": "lapsed", "days": 90}
    form.edits["days"].setText("ninety")  # not a number: sent as typed, the engine names it
    assert form.value() == {"type": "lapsed", "days": "ninety"}
    form.set_kind("spend_milestone")
    form.edits["threshold"].setText("$500")
    assert form.value() == {"type": "spend_milestone", "threshold": "500"}
    form.edits["threshold"].clear()
    assert form.value() == {"type": "spend_milestone", "threshold": None}
    # Fields of another type are not sent: days typed above stay out of a milestone.
    assert "days" not in form.value()


def test_a_message_lands_under_the_field_it_names(qtbot: Any) -> None:
    form = TriggerForm()
    qtbot.addWidget(form)
    form.show()
    form.set_kind("spend_milestone")
    form.show_errors({"threshold": "must be more than 0"})
    assert form.errors["threshold"].text() == "must be more than 0"
    assert form.errors["threshold"].isVisible()
    assert form.errors["type"].isHidden()
    # A message about a field this type does not have goes under the type.
    form.show_errors({"days": "is not allowed for spend_milestone"})
    assert "not allowed" in form.errors["type"].text()
    form.show_errors({})
    assert form.error_text() == ""


def test_triggers_and_limits_in_words() -> None:
    assert trigger_words({"type": "purchase", "min_spend": "100"}) == "On a purchase of $100.00 or more"
    assert trigger_words({"type": "purchase"}) == "On every purchase"
    assert trigger_words({"type": "spend_milestone", "threshold": "500.00"}) == \
        "When lifetime spend reaches $500.00"
    assert trigger_words({"type": "tier_changed", "from": "silver", "to": "gold"}) == \
        "When the tier changes from silver to gold"
    assert trigger_words({"type": "birthday", "when": "month"}) == "In the birthday month"
    assert trigger_words({"type": "lapsed", "days": 180}) == "After 180 days without a purchase"
    assert trigger_words({"type": "joined"}) == "When a customer joins"
    assert limit_words("once_per_year") == "Once a year per customer"
