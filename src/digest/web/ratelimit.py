"""Rate limits on the forms (the limits library, moving windows).

Counters live in ``[web] rate_limit_storage``: "memory://" counts per process, which is right
for one `digest serve`; several processes behind one proxy share a Redis or Memcached store.
"""

from __future__ import annotations

import math
import time

import limits
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from digest.config import Settings
from digest.errors import ConfigError


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        web = settings.web
        uri = web.rate_limit_storage
        try:
            storage = storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
        except Exception as exc:  # noqa: BLE001 - limits raises ConfigurationError, ImportError, ValueError
            raise ConfigError(f"[web] rate_limit_storage: {exc}") from None
        self._limiter = MovingWindowRateLimiter(storage)
        self.subscribe_per_ip = limits.parse(web.subscribe_per_ip)
        self.subscribe_per_address = limits.parse(web.subscribe_per_address)
        self.confirm_mails = limits.parse(web.confirm_mails_per_address)
        self.forms_per_ip = limits.parse(web.forms_per_ip)

    async def hit(self, item: limits.RateLimitItem, *key: str) -> int | None:
        """Count one request; None when allowed, else the seconds until the next is."""
        if await self._limiter.hit(item, *key):
            return None
        stats = await self._limiter.get_window_stats(item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))
