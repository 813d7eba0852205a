"""Publishing social posts to Mastodon, Bluesky and X, exactly once.

``publisher_for(account)`` gives a ``Publisher`` for an account (built-in platforms, or plugins
from the ``digest.publishers`` entry points); ``post(PostRequest)`` posts one post,
``post_thread`` a thread as replies in order.
"""

from digest.publish.accounts import Account, env_name, secret_names
from digest.publish.base import (
    AccountInfo,
    LinkCard,
    PostKey,
    PostRef,
    PostRequest,
    PostResult,
    Publisher,
    PublisherOptions,
    ReplyTo,
    post_thread,
)
from digest.publish.from_social import post_requests
from digest.publish.limits import RetryPolicy
from digest.publish.registry import known_platforms, publisher_class, publisher_for

__all__ = [
    "Account",
    "AccountInfo",
    "LinkCard",
    "PostKey",
    "PostRef",
    "PostRequest",
    "PostResult",
    "Publisher",
    "PublisherOptions",
    "ReplyTo",
    "RetryPolicy",
    "env_name",
    "known_platforms",
    "post_requests",
    "post_thread",
    "publisher_class",
    "publisher_for",
    "secret_names",
]
