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

from digest.errors import ConfigError
from digest.plugins import Plugins
from digest.publish.accounts import Account
from digest.publish.base import Publisher, PublisherOptions

GROUP = "digest.publishers"
BUILTIN = {
    "mastodon": "digest.publish.mastodon:MastodonPublisher",
    "bluesky": "digest.publish.bluesky:BlueskyPublisher",
    "x": "digest.publish.x:XPublisher",
}


PUBLISHERS: Plugins[Publisher] = Plugins(GROUP, BUILTIN)


def known_platforms() -> dict[str, str]:
    """platform -> "module:Class" for every publisher available, plugins included."""
    return PUBLISHERS.known()


def publisher_class(platform: str) -> type[Publisher]:
    return PUBLISHERS.load(platform)


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
