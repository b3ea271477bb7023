"""Sign-in throttling per account and per network address, in the limiter's store.

Only failed attempts count. The store is Flask-Limiter's: process memory by default,
Redis when REDIS_URL is set, so several workers or hosts share one count. Keys are keyed hashes
(of the normalised e-mail, and of the client address as `app.core.http.address_key` gives it), so
the store never holds an address or an e-mail. Without a trusted client address (a proxy nobody
declared in TRUSTED_PROXIES) only the per-account limit applies: the proxy's own address is shared
by every student, and counting it would lock the whole university out.
"""
import hashlib
import hmac

from limits import parse

from app.extensions import limiter


def _limits(config):
    return (
        ("account", parse(config["LOGIN_LIMIT_PER_ACCOUNT"])),
        ("address", parse(config["LOGIN_LIMIT_PER_ADDRESS"])),
    )


def _keys(config, email: str, address_key: str | None) -> dict:
    secret = config["SECRET_KEY"].encode()
    return {"account": hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32], "address": address_key}


def is_throttled(config, email: str, address_key: str | None) -> bool:
    """True when the account or the (trusted, hashed) address has used up its failed attempts."""
    keys = _keys(config, email, address_key)
    prefix = config["RATELIMIT_KEY_PREFIX"]
    return any(not limiter.limiter.test(item, prefix, "login", kind, keys[kind])
               for kind, item in _limits(config) if keys[kind])


def register_failure(config, email: str, address_key: str | None) -> None:
    """Count one failed attempt against the account and the address."""
    keys = _keys(config, email, address_key)
    for kind, item in _limits(config):
        if keys[kind]:
            limiter.limiter.hit(item, config["RATELIMIT_KEY_PREFIX"], "login", kind, keys[kind])


def clear_account(config, email: str) -> None:
    """Forget the failures of an account after a successful sign-in."""
    keys = _keys(config, email, None)
    for kind, item in _limits(config):
        if kind == "account":
            limiter.limiter.clear(item, config["RATELIMIT_KEY_PREFIX"], "login", kind, keys[kind])


def is_address_throttled(config, address_key: str | None) -> bool:
    """True when the (trusted, hashed) address has used up its failed sign-in attempts."""
    if not address_key:
        return False
    return not limiter.limiter.test(parse(config["LOGIN_LIMIT_PER_ADDRESS"]), config["RATELIMIT_KEY_PREFIX"],
                                    "login", "address", address_key)


def register_address_failure(config, address_key: str | None) -> None:
    """Count one failed sign-in (e.g. a refused single sign-on answer) against the address alone."""
    if address_key:
        limiter.limiter.hit(parse(config["LOGIN_LIMIT_PER_ADDRESS"]), config["RATELIMIT_KEY_PREFIX"],
                            "login", "address", address_key)
