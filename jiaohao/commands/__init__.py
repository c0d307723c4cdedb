"""Subcommand modules. Each has ``register(subparsers)`` which adds its parser and
sets ``func(ctx, args) -> int`` as the parser default."""
from importlib import import_module

MODULES = [
    "config_cmd",
    "queue_cmd",
    "serve_cmd",
]


def register_all(subparsers) -> None:
    for name in MODULES:
        import_module(f"{__name__}.{name}").register(subparsers)
