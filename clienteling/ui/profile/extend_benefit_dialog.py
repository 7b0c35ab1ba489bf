"""Extend a benefit by a number of days (manager/admin; SPEC §3.1 B6)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from clienteling.engine.records import BenefitRow
from clienteling.engine.rules import add_local_days
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.operations.benefits import extend_benefit
from clienteling.ui.state import AppState


class ExtendBenefitDialog(FormDialog):
    def __init__(self, state: AppState, benefit: BenefitRow, now: datetime,
                 parent: QWidget | None = None) -> None:
        super().__init__(state, f"Extend {benefit.name}",
                         f"Now expires {fmt.day(benefit.expires_at, state.timezone)}"
                         if benefit.expires_at else "It has no expiry yet.", parent)
        self.setObjectName("extendBenefitDialog")
        self.benefit = benefit
        self.now = now
        self.new_expiry: datetime | None = None
        self.days = QSpinBox(self)
        self.days.setObjectName("daysField")
        self.days.setRange(1, 3650)
        self.days.setValue(30)
        self.days.setSuffix(" days")
        self.result_label = QLabel("", self)
        self.result_label.setObjectName("fieldHint")
        self.days.valueChanged.connect(self._update)
        self.add_field("extend_days", "Extend by", self.days, beside=self.result_label)
        self.ok_button.setText("Extend")
        self.ok_button.setObjectName("confirmExtendButton")
        self._update()

    def _update(self) -> None:
        base = self.benefit.expires_at or self.now
        new = add_local_days(base, self.days.value(), self.state.timezone)
        self.result_label.setText(f"until {fmt.day(new, self.state.timezone)}")

    def submit(self) -> None:
        if self.state.actor is None:
            return
        self.run(self._done, extend_benefit, self.state.actor, self.benefit.id, self.days.value())

    def _done(self, expires: datetime | None) -> None:
        self.new_expiry = expires
        self.accept()
