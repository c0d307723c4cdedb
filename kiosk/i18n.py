"""The kiosk's languages: English source strings, Chinese from ``kiosk/i18n/kiosk_zh_CN.qm``.

All text the kiosk shows goes through ``translate("Kiosk", …)`` (Qt's tr), so the
strings live in a Qt Linguist file a translator can edit. Regenerate the ``.ts`` from
the sources and compile the ``.qm`` with ``python scripts/kiosk_translations.py``.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

log = logging.getLogger(__name__)

CONTEXT = "Kiosk"
I18N_DIR = Path(__file__).with_name("i18n")
LANGUAGES = ("zh_CN", "en")

translate = QCoreApplication.translate


def qm_path(language: str) -> Path:
    return I18N_DIR / f"kiosk_{language}.qm"


class LanguageSwitch:
    """Installs the translator of the current language into the application."""

    def __init__(self, app: QCoreApplication):
        self.app = app
        self.language = "en"
        self._translator: QTranslator | None = None

    def set(self, language: str) -> bool:
        """Switch to ``language`` (zh_CN or en); False when its translation file is missing."""
        if language == self.language:
            return True
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
            self._translator = None
        self.language = language
        if language == "en":
            return True
        t = QTranslator(self.app)
        if not t.load(str(qm_path(language))):
            log.error("translation %s missing: run scripts/kiosk_translations.py; showing English",
                      qm_path(language))
            return False
        self.app.installTranslator(t)
        self._translator = t
        return True

    def close(self) -> None:
        """Remove this switch's translator from the application."""
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
            self._translator = None
        self.language = "en"
