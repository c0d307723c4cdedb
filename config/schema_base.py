"""The base of every section of the hall schema (config/schema.py and its parts): strict
models, and the cross-reference error that knows its field path (the loader turns it into the file, line and field)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .invalid import Invalid


class Strict(BaseModel):
    """Base of every section: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferenceError_(Invalid):
    """A cross-reference error that knows its field path."""

    def __init__(self, loc: tuple, message: str, zh: str = ""):
        super().__init__(message, zh)
        self.loc = loc
        self.message = message


def _at(loc: tuple, message: str, zh: str = "") -> ReferenceError_:
    return ReferenceError_(loc, message, zh)
