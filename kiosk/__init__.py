"""The touchscreen ticket kiosk (PySide6)."""
