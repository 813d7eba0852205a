"""Pick a publisher class for a platform name, through the ``digest.publishers`` entry points.

Other packages add platforms by declaring, in their own pyproject.toml::

    [project.entry-points."digest.publishers"]
    linkedin = "digest_linkedin:LinkedInPublisher"

after which an account with ``platform = "linkedin"`` posts through it. The class subclasses
``digest.publish.base.Publisher``. The built-in platforms also resolve from a source checkout
that was never installed (no metadata yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from importlib.metadata import entry_points

from digest.errors import ConfigError
from digest.publish.accounts import Account
from digest.publish.base import Publisher, PublisherOptions

GROUP = "digest.publishers"
BUILTIN = {
    "mastodon": "digest.publish.mastodon:MastodonPublisher",
    "bluesky": "digest.publish.bluesky:BlueskyPublisher",
    "x": "digest.publish.x:XPublisher",
}


def known_platforms() -> dict[str, str]:
    """platform -> "module:Class" for every publisher available, plugins included."""
    found = dict(BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    return found


def _load(target: str) -> type[Publisher]:
    module_name, _, attr = target.partition(":")
    obj = import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]


def publisher_class(platform: str) -> type[Publisher]:
    for ep in entry_points(group=GROUP, name=platform):
        return ep.load()  # type: ignore[no-any-return]
    if platform in BUILTIN:
        return _load(BUILTIN[platform])
    raise KeyError(platform)


def publisher_for(
    account: Account, secrets: Mapping[str, str] | None = None, options: PublisherOptions | None = None
) -> Publisher:
    """A ready publisher for ``account``; ConfigError naming the known platforms or the missing secret."""
    try:
        cls = publisher_class(account.platform)
    except KeyError:
        raise ConfigError(
            f"social account {account.name!r}: unknown platform {account.platform!r} "
            f"(known platforms: {', '.join(sorted(known_platforms()))}; plugins add more through the "
            f'"{GROUP}" entry-point group)'
        ) from None
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not look like our bug
        raise ConfigError(f"social platform {account.platform!r}: cannot load its plugin: {exc}") from None
    return cls(account, secrets, options)
