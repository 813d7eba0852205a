"""Errors a user can fix: the CLI prints their message as one line and exits 1."""


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
