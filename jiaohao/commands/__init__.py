"""Subcommand modules. Each has ``register(subparsers)`` which adds its parser and
sets ``func(ctx, args) -> int`` as the parser default."""
from importlib import import_module

MODULES = [
    "config_cmd",
    "queue_cmd",
    "serve_cmd",
    "appointments_cmd",  # kiosk issue
    "kiosk_cmd",         # kiosk issue
    "caller_cmd",        # window-bus issue
    "screen_cmd",        # hall-screen issue
    "diag_cmd",          # printing / diagnostics issues
    "demo_cmd",          # demo issue
    "report_cmd",        # reports issue
    "backup_cmd",        # backup / restore
]


def register_all(subparsers) -> None:
    for name in MODULES:
        full = f"{__name__}.{name}"
        try:
            module = import_module(full)
        except ModuleNotFoundError as e:
            if e.name == full:  # not written yet: that subcommand is simply absent
                continue
            raise
        module.register(subparsers)
