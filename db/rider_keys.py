"""惠新码 signing keys: the public half and validity in `rider_key`, the private half in a
file of RIDER_KEY_DIR (mode 0600, outside the repository and every row the API returns).

Rotating retires the current key (it still verifies the codes it signed until they expire,
120 s) and makes a new one current."""

import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.models import RiderKeyRow
from domain.rider_code import jwk, load_private, new_key, private_pem, public_x
from gate_verifier import unb64url


def key_dir() -> Path:
    from config import ROOT, get_settings

    configured = get_settings().rider_key_dir
    return Path(configured) if configured else ROOT / "var" / "rider_keys"


def _path(kid: str) -> Path:
    return key_dir() / f"{kid}.pem"


def create_key(engine: Engine, now: datetime | None = None) -> str:
    """A new current key; retires the one before it."""
    now = now or datetime.now(UTC)
    key = new_key()
    kid = f"hxm-{now:%Y%m%d%H%M%S}-{public_x(key)[:6]}"
    directory = key_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(_path(kid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem(key))
    with Session(engine) as session:
        for row in session.exec(select(RiderKeyRow).where(col(RiderKeyRow.retired_at).is_(None))):
            row.retired_at = now
        session.add(RiderKeyRow(kid=kid, public_x=public_x(key), created_at=now))
        session.commit()
    return kid


def ensure_key(engine: Engine) -> str:
    """The current key, made if there is none (or its private file is missing here)."""
    current = current_kid(engine)
    if current is not None and _path(current).exists():
        return current
    return create_key(engine)


def current_kid(engine: Engine) -> str | None:
    with Session(engine) as session:
        row = session.exec(select(RiderKeyRow).where(col(RiderKeyRow.retired_at).is_(None))
                           .order_by(col(RiderKeyRow.created_at).desc())).first()
        return row.kid if row else None


def signing_key(engine: Engine):  # noqa: ANN201  (kid, Ed25519PrivateKey)
    kid = ensure_key(engine)
    return kid, load_private(_path(kid).read_bytes())


def trust_list(session: Session) -> list[dict]:
    """The public keys as JWKs with their validity. Retired keys stay listed: a gate then
    refuses their codes as `retired_key` (once `retired_at` + 120 s has passed), not as
    unknown."""
    out = []
    for row in session.exec(select(RiderKeyRow).order_by(col(RiderKeyRow.created_at))):
        retired = row.retired_at
        key = jwk(Ed25519PublicKey.from_public_bytes(unb64url(row.public_x)), row.kid)
        key["created_at"] = row.created_at.isoformat() if row.created_at else None
        key["retired_at"] = retired.isoformat() if retired else None
        out.append(key)
    return out
