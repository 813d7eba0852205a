"""Errors a user can fix: the CLI prints their message as one line and exits 1.

``Interrupted`` is not an error: a signal stopped the work; the CLI exits 130 or 143.
"""

import signal


class DigestError(Exception):
    """Base for every error whose message is meant for the user, not a traceback."""


class ConfigError(DigestError):
    """A wrong key or value in the config, or a missing secret."""


class InputError(DigestError):
    """A source that cannot be read: empty, binary, missing, too large, malformed."""


class TemplateError(DigestError):
    """A template that fails to load or render; the message names file and line."""


class FetchError(DigestError):
    """A URL that cannot or must not be fetched."""


class DeliveryError(DigestError):
    """A backend that cannot deliver (server down, refused, misconfigured)."""


class PublishError(DigestError):
    """A social platform that cannot be posted to (unreachable, misconfigured, over its rate limit)."""


class CredentialsError(PublishError):
    """A platform refused the account's token or password (expired, revoked, wrong)."""


class DatabaseError(DigestError):
    """The database cannot be used as it is: at another schema revision, busy, or unreachable."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped the command; ``undone`` says what was left for a re-run."""

    def __init__(self, signum: int = signal.SIGINT, undone: str = "") -> None:
        super().__init__(undone)
        self.signum = signum
        self.undone = undone

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM, as shells report them
