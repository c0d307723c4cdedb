"""A value a hall file cannot have, said in English and in Chinese. Standard library only:
config.views (imported without pydantic) raises it too."""
from __future__ import annotations


class Invalid(ValueError):
    """``str()`` says why in English, ``zh`` in Chinese; the loader prints ``中文 (English)``
    after the file, line and field. Still a ValueError for every caller that catches one."""

    def __init__(self, message: str, zh: str = ""):
        super().__init__(message)
        self.zh = zh
