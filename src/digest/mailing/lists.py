"""Subscriber list names: every subscriber belongs to one named list ("default" unless told).

A list name travels in unsubscribe tokens, lock file names and job files, so it is kept to a
short, case-insensitive token (stored lower-case): "VIP" and "vip" are the same list.
"""

from __future__ import annotations

import re

from digest.errors import InputError

DEFAULT_LIST = "default"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def check_list_name(value: object, what: str = "--list") -> str:
    """The list name, normalized; InputError naming ``what`` for anything else."""
    name = value.strip().lower() if isinstance(value, str) else ""
    if not _NAME.match(name):
        raise InputError(f"{what} {value!r}: a list name is 1-64 letters, digits, '.', '_' or '-'")
    return name
