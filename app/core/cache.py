"""A small shared cache: Redis when REDIS_URL is set (shared by every worker), else bounded process memory.

Values must be JSON-serialisable (Redis stores them as JSON; process memory keeps the objects
themselves, which callers must treat as read-only). Invalidation is by namespace version:
`bump(namespace)` makes every key of the namespace stale at once, and stale keys simply expire.
"""
import json
import threading
import time
from collections import OrderedDict

from flask import current_app


class MemoryStore:
    """Least-recently-used entries within a count and a size budget (sizes measured as JSON)."""

    def __init__(self, max_items: int = 2000, max_bytes: int = 8_000_000):
        self.items: OrderedDict[str, tuple[float, object, int]] = OrderedDict()
        self.max_items, self.max_bytes, self.size = max_items, max_bytes, 0
        self.counters: dict[str, int] = {}   # namespace versions: never evicted
        self.lock = threading.Lock()

    def _drop(self, key):
        found = self.items.pop(key, None)
        if found is not None:
            self.size -= found[2]

    def get(self, key):
        with self.lock:
            if key in self.counters:
                return str(self.counters[key])
            found = self.items.get(key)
            if found is None or found[0] < time.monotonic():
                self._drop(key)
                return None
            self.items.move_to_end(key)
            return found[1]

    def set(self, key, value, ttl):
        cost = len(value) if isinstance(value, str) else len(json.dumps(value, default=str))
        with self.lock:
            self._drop(key)
            if cost > self.max_bytes:
                return
            self.items[key] = (time.monotonic() + ttl, value, cost)
            self.size += cost
            while len(self.items) > self.max_items or self.size > self.max_bytes:
                self._drop(next(iter(self.items)))

    def incr(self, key):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def get_value(self, key):
        return self.get(key)

    def set_value(self, key, value, ttl):
        self.set(key, value, ttl)


class RedisStore:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)

    def get(self, key):
        value = self.client.get(key)
        return value.decode("utf-8") if value is not None else None

    def set(self, key, value, ttl):
        self.client.set(key, value, ex=int(ttl))

    def incr(self, key):
        return int(self.client.incr(key))

    def get_value(self, key):
        raw = self.get(key)
        return json.loads(raw) if raw is not None else None

    def set_value(self, key, value, ttl):
        self.set(key, json.dumps(value, default=str), ttl)


class Cache:
    def __init__(self, store, prefix: str):
        self.store, self.prefix = store, prefix

    def _version(self, namespace: str) -> str:
        return self.store.get(f"{self.prefix}{namespace}:version") or "0"

    def get_or_compute(self, namespace: str, key: str, compute, ttl: int = 300):
        """Return the cached value of `key`, computing and storing it when missing or stale."""
        full = f"{self.prefix}{namespace}:{self._version(namespace)}:{key}"
        value = self.store.get_value(full)
        if value is not None:
            return value
        value = compute()
        self.store.set_value(full, value, ttl)
        return value

    def bump(self, namespace: str) -> None:
        """Invalidate every key of the namespace."""
        self.store.incr(f"{self.prefix}{namespace}:version")


def init_cache(app) -> None:
    url = app.config.get("REDIS_URL")
    store = RedisStore(url) if url else MemoryStore()
    app.extensions["sanaly_cache"] = Cache(store, f"{app.config.get('RATELIMIT_KEY_PREFIX', 'sanaly')}:cache:")


def cache() -> Cache:
    return current_app.extensions["sanaly_cache"]
