"""Sign-in throttling per account and per network address, in the limiter's store.

Only failed attempts count. The store is Flask-Limiter's: process memory by default,
Redis when REDIS_URL is set, so several workers or hosts share one count.
"""
from limits import parse

from app.extensions import limiter


def _limits(config):
    return (
        ("account", parse(config["LOGIN_LIMIT_PER_ACCOUNT"])),
        ("address", parse(config["LOGIN_LIMIT_PER_ADDRESS"])),
    )


def is_throttled(config, email: str, address: str) -> bool:
    """True when the account or the address has used up its failed attempts."""
    keys = {"account": email, "address": address}
    prefix = config["RATELIMIT_KEY_PREFIX"]
    return any(not limiter.limiter.test(item, prefix, "login", kind, keys[kind]) for kind, item in _limits(config))


def register_failure(config, email: str, address: str) -> None:
    """Count one failed attempt against the account and the address."""
    keys = {"account": email, "address": address}
    for kind, item in _limits(config):
        limiter.limiter.hit(item, config["RATELIMIT_KEY_PREFIX"], "login", kind, keys[kind])


def clear_account(config, email: str) -> None:
    """Forget the failures of an account after a successful sign-in."""
    for kind, item in _limits(config):
        if kind == "account":
            limiter.limiter.clear(item, config["RATELIMIT_KEY_PREFIX"], "login", kind, email)
