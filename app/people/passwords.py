"""Password hashing: Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).

About 20 ms per check on one core: strong against guessing, yet cheap enough that a whole year's
intake can sign in for the integrity hour within minutes on a small server. Hashes of an older
scheme (Werkzeug's scrypt) still verify and are replaced by Argon2id at the next sign-in.
"""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
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
