"""The hall's configuration: typed schema, TOML loader with clear errors, shipped halls.

The names below are imported when first used (module ``__getattr__``): a command that
only reads a hall through :func:`load_hall_view` (config/cache.py) never imports
pydantic, which costs more than the rest of its start-up.
"""
from __future__ import annotations

from importlib import import_module

_WHERE = {
    "DEMO_HALL": "loader", "HALLS_DIR": "loader", "ConfigError": "loader", "load_hall": "loader",
    "parse_hall": "loader",
    "load_hall_view": "cache",
    "Board": "schema", "Bus": "schema", "DeviceRef": "schema", "HallConfig": "schema",
    "Printer": "schema", "Service": "schema", "Voice": "schema", "Window": "schema",
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
