"""What a request sends, read safely: bounded integers, dates, local redirect targets, the client's address.

Every view reads its query parameters and its `next` targets through these functions, so that no
parameter can turn into a server error (an integer beyond the database's range, a newline in a
Location header) or send a person to another site.
"""
import hashlib
import hmac
import logging
from datetime import date

from flask import current_app, request, url_for
from werkzeug.routing import IntegerConverter

from app.extensions import limiter

logger = logging.getLogger(__name__)

# Identifiers are INTEGER columns (32-bit on PostgreSQL); nothing larger can name a row.
MAX_ID = 2**31 - 1
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-Ip")


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: 0 … 2³¹−1, so an id too large for the database is a 404, never a 500."""

    def __init__(self, url_map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def int_arg(name: str, default: int | None = None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """The integer query parameter `name`, or `default` when it is missing, not a number or out of [low, high]."""
    return _bounded_int(request.args.get(name, ""), default, low, high)


def int_field(name: str, default: int | None = None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """The integer form field `name`, or `default` when it is missing, not a number or out of [low, high]."""
    return _bounded_int(request.form.get(name, ""), default, low, high)


def _bounded_int(raw: str, default: int | None, low: int, high: int) -> int | None:
    digits = raw.strip()
    if not digits.lstrip("+-").isascii() or not digits.lstrip("+-").isdigit() or len(digits) > 12:
        return default
    value = int(digits)
    return value if low <= value <= high else default


def page_arg(name: str = "page") -> int:
    """The page number asked for: 1 when missing or nonsense, never more than a million."""
    return int_arg(name, 1, low=1, high=1_000_000)


def date_arg(name: str) -> date | None:
    """The ISO date query parameter `name`, or None when it is missing.

    Raises ValueError for a value that is not a date (the view says so to the person)."""
    raw = request.args.get(name, "").strip()
    return date.fromisoformat(raw) if raw else None


def kept_query(*drop: str) -> dict[str, str]:
    """The query parameters to carry over into a link built with url_for, without the names in `drop`.

    The link's own arguments go in `drop` (a visitor's `?group_id=` would clash with them), and names
    starting with '_' are url_for's switches (_external, _scheme, _anchor), like its first argument's
    name, 'endpoint': none of them may come from the visitor."""
    return {name: value for name, value in request.args.items()
            if name not in drop and name != "endpoint" and not name.startswith("_")}


def is_local_path(target: str | None) -> bool:
    """True for a path on this site: '/…', no scheme or host, no backslash or control character.

    Browsers drop tabs and newlines inside URLs and treat '\\' like '/', so '/\\t/evil.com' or
    '/\\\\evil.com' would leave the site; they are refused, not repaired."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(character) < 0x21 or ord(character) == 0x7F for character in target):
        return False
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback_endpoint: str = "home.home") -> str:
    """Where to send the person next: `target` when it is a path on this site, else the fallback page."""
    return target if is_local_path(target) else url_for(fallback_endpoint)


# --- the client's address ----------------------------------------------------------------------

_warned_untrusted = False


def client_address() -> str | None:
    """The client's network address when it can be trusted, else None.

    With TRUSTED_PROXIES = n, ProxyFix has already taken the address n hops back from the
    forwarding headers. With no trusted proxies configured, a request that arrives from a loopback
    or private address carrying forwarding headers comes through a proxy nobody declared: its
    address is the proxy's, shared by every client, so no per-address limit may use it."""
    global _warned_untrusted
    address = request.remote_addr
    if not address:
        return None
    if current_app.config.get("TRUSTED_PROXIES", 0) == 0 and _forwarded() and _is_internal(address):
        if not _warned_untrusted:
            logger.warning("requests arrive through a proxy but TRUSTED_PROXIES is 0: per-address limits are off "
                           "until it is set (see README, Configuration)")
            _warned_untrusted = True
        return None
    return address


def address_key() -> str | None:
    """A keyed hash of the trusted client address (no store or log holds the address itself), or None."""
    address = client_address()
    if address is None:
        return None
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def limiter_key() -> str:
    """Flask-Limiter's key: the hashed address (such requests are exempt when there is none, see per_address)."""
    return address_key() or "untrusted"


def per_address(limit: str, **options):
    """Limit a view per client address (keyed hash), and not at all for a request without a trusted address."""
    return limiter.limit(limit, key_func=limiter_key, exempt_when=lambda: address_key() is None, **options)


def _forwarded() -> bool:
    return any(header in request.headers for header in FORWARDING_HEADERS)


def _is_internal(address: str) -> bool:
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local

