"""The `jiaohao` command: subcommands that start each part of the hall."""
__version__ = "0.1.0"
