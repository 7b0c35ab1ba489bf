"""About Clienteling (F1): the version, and where this till keeps its database and its log —
what support asks for first."""

from __future__ import annotations

import platform
import re

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from clienteling import __version__
from clienteling.logfile import log_file


def database_location(url: str) -> str:
    """A SQLite URL as its file path; any other URL with its password hidden."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):] or url
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


class AboutDialog(QDialog):
    """The version, the database and the log file; the paths can be selected and copied."""

    def __init__(self, database_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About Clienteling")
        self.setMinimumWidth(520)
        title = QLabel(f"Clienteling {__version__}", self)
        title.setObjectName("aboutTitle")
        logged = log_file()
        self.values: dict[str, str] = {
            "Version": __version__,
            "Database": database_location(database_url),
            "Log file": str(logged) if logged else "none (no folder for it could be written)",
            "Runs on": f"Python {platform.python_version()}, PySide6 {pyside_version}",
        }
        form = QFormLayout()
        for label, value in self.values.items():
            field = QLabel(value, self)
            field.setObjectName(f"about{label.replace(' ', '')}")
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            form.addRow(f"{label}:", field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        # Nothing to type here: the focus starts on Close, so Enter (and Esc) close it.
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(buttons)
