"""Where the bundled config, templates and examples live.

An installed wheel carries them under ``digest/_bundled``; a source checkout has them at the
repository root. Both trees have the same shape (config/, templates/, examples/), so relative
paths inside a config file mean the same thing in both.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_root() -> Path:
    """The folder holding ``config/``, ``templates/`` and ``examples/``."""
    bundled = _PACKAGE_DIR / "_bundled"
    if (bundled / "config" / "digest.toml").is_file():
        return bundled
    return _PACKAGE_DIR.parent.parent


def default_config_path() -> Path:
    return bundled_root() / "config" / "digest.toml"


def default_templates_dir() -> Path:
    return bundled_root() / "templates"


def examples_dir() -> Path:
    return bundled_root() / "examples"
