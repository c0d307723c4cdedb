"""The hall's configuration: typed schema, TOML loader with clear errors, shipped halls."""
from .loader import DEMO_HALL, HALLS_DIR, ConfigError, load_hall, parse_hall
from .schema import Board, Bus, DeviceRef, HallConfig, Printer, Service, Voice, Window

__all__ = [
    "DEMO_HALL", "HALLS_DIR", "ConfigError", "load_hall", "parse_hall",
    "Board", "Bus", "DeviceRef", "HallConfig", "Printer", "Service", "Voice", "Window",
]
