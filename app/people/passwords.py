"""Password hashing: Argon2id at OWASP's minimum, in the form that costs a server least (7 MiB, 5 passes, 1 lane).

OWASP's password storage cheat sheet lists five Argon2id settings that give the same defence, trading
memory for passes: 46 MiB and 1 pass, 19 MiB and 2, 12 MiB and 3, 9 MiB and 4, 7 MiB and 5. On a
server the 7 MiB one is the cheapest: its memory stays in the processor's cache, so a check takes
about 16 ms of CPU where 19 MiB and 2 passes take about 24 ms (`python bench/argon2_settings.py`), and a
whole year's intake signs in for the integrity hour on less. Hashes made with other settings still
verify and are replaced at the next sign-in, as are those of an older scheme (Werkzeug's scrypt).
"""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

HASHER = PasswordHasher(time_cost=5, memory_cost=7168, parallelism=1)
_DUMMY = HASHER.hash("a password nobody has")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> tuple[bool, bool]:
    """Return (does the password match, should the stored hash be replaced by a current one)."""
    if not stored:
        # An account with no password yet must not answer faster than one with a wrong password.
        spend_the_same_time(password)
        return False, False
    if stored.startswith("$argon2"):
        try:
            HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False, False
        return True, HASHER.check_needs_rehash(stored)
    matched = check_password_hash(stored, password)
    return matched, matched


def spend_the_same_time(password: str) -> None:
    """Check a password against a dummy hash, so that an unknown account answers as slowly as a known one."""
    verify_password(_DUMMY, password)
