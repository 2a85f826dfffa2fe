"""The shared cache (rate-limit counters, insight tables), which must never take a request
down with it: while Redis is away, reads miss and writes are dropped, and requests go on
(rate limits are not enforced meanwhile; the warning in the log says so)."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ForgivingRedisCache(RedisCache):
    def _forgive(self, action, default, *args, **kwargs):
        try:
            return action(*args, **kwargs)
        except RedisError:
            logger.warning("cache unavailable; carrying on without it", exc_info=True)
            return default

    def get(self, key, default=None, version=None):
        return self._forgive(super().get, default, key, default, version)

    def set(self, key, value, timeout=None, version=None):
        return self._forgive(super().set, None, key, value, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._forgive(super().add, False, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._forgive(super().delete, False, key, version)

    def clear(self):
        return self._forgive(super().clear, None)
