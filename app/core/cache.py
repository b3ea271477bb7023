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
from sqlalchemy import select

from app.core.db_helpers import dialect_insert
from app.core.models import CacheVersion
from app.extensions import db


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
    """Values in the store; the version of each namespace in DATABASE_VERSIONED is kept in the database.

    A database version is bumped inside the transaction of the change that makes the namespace stale,
    so every worker and host sees the invalidation exactly when it sees the change (a version kept
    in process memory would leave the other workers serving stale figures until they expire).
    """

    DATABASE_VERSIONED = frozenset({"coverage"})

    def __init__(self, store, prefix: str):
        self.store, self.prefix = store, prefix

    def _version(self, namespace: str) -> str:
        if namespace in self.DATABASE_VERSIONED:
            return str(db.session.scalar(select(CacheVersion.version).where(CacheVersion.name == namespace)) or 0)
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
        """Invalidate every key of the namespace (for a database-versioned one, when the caller commits)."""
        if namespace in self.DATABASE_VERSIONED:
            db.session.execute(dialect_insert(CacheVersion).values(name=namespace, version=1).on_conflict_do_update(
                index_elements=[CacheVersion.name], set_={"version": CacheVersion.version + 1}))
            return
        self.store.incr(f"{self.prefix}{namespace}:version")


def init_cache(app) -> None:
    url = app.config.get("REDIS_URL")
    store = RedisStore(url) if url else MemoryStore()
    app.extensions["sanaly_cache"] = Cache(store, f"{app.config.get('RATELIMIT_KEY_PREFIX', 'sanaly')}:cache:")
    app.extensions["sanaly_immutables"] = Immutables()


def cache() -> Cache:
    return current_app.extensions["sanaly_cache"]


class Immutables:
    """Rows that never change once written (content versions), kept in process memory by id and language.

    A content version is a new row whenever its source changes, so what is kept here never goes
    stale. Entries are weighed by their size as JSON when they are loaded; the least recently used
    ones beyond `max_items` or `max_bytes` are dropped, so a worker's memory stays bounded.
    """

    def __init__(self, max_items: int = 256, max_bytes: int = 16_000_000):
        self.items: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self.max_items, self.max_bytes, self.size = max_items, max_bytes, 0
        self.lock = threading.Lock()
        self.misses = 0

    @staticmethod
    def weigh(value) -> int:
        return len(json.dumps(value, default=lambda item: getattr(item, "__dict__", str(item))))

    def clear(self) -> None:
        """Forget everything (the database was emptied or restored under this process)."""
        with self.lock:
            self.items.clear()
            self.size = 0

    def peek(self, key: tuple):
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            self.items.move_to_end(key)
            return found[0]

    def get(self, key: tuple, load):
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found[0]
        value = load()
        cost = self.weigh(value)
        with self.lock:
            self.misses += 1
            previous = self.items.pop(key, None)
            if previous is not None:
                self.size -= previous[1]
            if cost <= self.max_bytes:
                self.items[key] = (value, cost)
                self.size += cost
            while len(self.items) > self.max_items or self.size > self.max_bytes:
                _key, (_value, dropped) = self.items.popitem(last=False)
                self.size -= dropped
        return value


def immutables() -> Immutables:
    return current_app.extensions["sanaly_immutables"]
