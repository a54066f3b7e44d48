"""Password hashing (argon2), bearer tokens (JWT, HS256), the login lock's schedule and Open311
API keys. A top-level module so that both api/ and db/ (the seed) may use it.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from config import get_settings

_hasher = PasswordHasher()

# The value config.py used to carry: it is public, so a token signed with it proves nothing.
OLD_DEFAULT_SECRET = "dev-only-secret-change-me-in-production-0000"
MIN_SECRET_LENGTH = 32
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub"]

# Login lock: after this many consecutive failures a username is locked, first for
# LOCK_FIRST, doubling with every further failure, at most LOCK_MAX.
MAX_FAILURES = 5
LOCK_FIRST = timedelta(minutes=1)
LOCK_MAX = timedelta(minutes=15)


class InsecureSecret(RuntimeError):
    """JWT_SECRET is missing, too short or the old public default."""


def secret_problem(secret: str | None, name: str = "JWT_SECRET") -> str | None:
    """Why `secret` may not sign tokens (or key hashes), or None when it may."""
    if not secret:
        return f"{name} is not set"
    if secret == OLD_DEFAULT_SECRET:
        return f"{name} is the old default printed in the source code"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"{name} is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def id_hash_secret() -> str:
    """The key of riders' ID-number hashes; no default, in development or anywhere."""
    secret = get_settings().id_hash_secret
    problem = secret_problem(secret, "ID_HASH_SECRET")
    if problem:
        raise InsecureSecret(problem)
    assert secret is not None
    return secret


def jwt_secret() -> str:
    secret = get_settings().jwt_secret
    problem = secret_problem(secret)
    if problem:
        raise InsecureSecret(problem)
    assert secret is not None
    return secret


def check_secret() -> None:
    """Stop the process at startup unless JWT_SECRET is fit to sign tokens."""
    problem = secret_problem(get_settings().jwt_secret)
    if problem:
        raise SystemExit(f"refusing to start: {problem}. Set JWT_SECRET to at least "
                         f"{MIN_SECRET_LENGTH} random characters, e.g. "
                         "`openssl rand -hex 32` (`make up` keeps one in var/jwt_secret).")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    # Verified against for unknown users, so their logins cost what a known user's does.
    return _hasher.hash(secrets.token_urlsafe(16))


def lock_for(failures: int) -> timedelta | None:
    """How long a username stays locked after `failures` consecutive failures."""
    if failures < MAX_FAILURES:
        return None
    return min(LOCK_FIRST * 2 ** min(failures - MAX_FAILURES, 16), LOCK_MAX)


def create_token(username: str) -> str:
    now = datetime.now(UTC)
    claims = {"sub": username, "iat": now,
              "exp": now + timedelta(minutes=get_settings().jwt_ttl_minutes)}
    return jwt.encode(claims, jwt_secret(), algorithm=ALGORITHM)


def read_token(token: str) -> str | None:
    """The username a valid token names, or None (bad signature or algorithm, expired, or
    lacking exp, iat or sub)."""
    secret = jwt_secret()
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": REQUIRED_CLAIMS})
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) and sub else None


def new_api_key() -> str:
    return secrets.token_urlsafe(32)  # 32 random bytes


def hash_api_key(key: str) -> str:
    # A key is 32 random bytes, not a password: a fast unsalted hash is enough to make a
    # leaked table useless, and keeps the per-request check cheap (a unique-index lookup).
    return hashlib.sha256(key.encode()).hexdigest()
