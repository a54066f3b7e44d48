"""Password hashing (argon2), bearer tokens (JWT, HS256) and Open311 API keys."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from config import get_settings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_token(username: str) -> str:
    s = get_settings()
    now = datetime.now(UTC)
    claims = {"sub": username, "iat": now, "exp": now + timedelta(minutes=s.jwt_ttl_minutes)}
    return jwt.encode(claims, s.jwt_secret, algorithm="HS256")


def read_token(token: str) -> str | None:
    """The username a valid token names, or None."""
    try:
        return jwt.decode(token, get_settings().jwt_secret, algorithms=["HS256"]).get("sub")
    except jwt.PyJWTError:
        return None


def new_api_key() -> str:
    return secrets.token_urlsafe(32)  # 32 random bytes


def hash_api_key(key: str) -> str:
    # A key is 32 random bytes, not a password: a fast unsalted hash is enough to make a
    # leaked table useless, and keeps the per-request check cheap (a unique-index lookup).
    return hashlib.sha256(key.encode()).hexdigest()
