"""A real Kestra's basic-auth credentials as a command takes them: `--user` and `--password`, else
KESTRA_USER and KESTRA_PASSWORD from the environment."""

from __future__ import annotations

import argparse
import os


def add_credentials_options(parser: argparse.ArgumentParser) -> None:
    """Add `--user` and `--password` for the Kestra the command talks to."""
    parser.add_argument("--user", help="basic-auth user of that Kestra (default: KESTRA_USER)")
    parser.add_argument("--password", help="its password (default: KESTRA_PASSWORD)")


def credentials(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(user, password): the options', else the environment's; None where neither gives one."""
    user = args.user or os.environ.get("KESTRA_USER")
    password = args.password or os.environ.get("KESTRA_PASSWORD")
    return user, password
