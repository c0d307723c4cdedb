"""The `jiaohao` command: subcommands that start each part of the hall."""


def __getattr__(name: str):
    if name == "__version__":  # hall/versions.py is the one place it is written
        from hall.versions import VERSION
        return VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
