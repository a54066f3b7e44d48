import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.deps import CurrentUser, SessionDep
from db.models import LoginAttempt, User
from security import create_token, dummy_hash, lock_for, verify_password

router = APIRouter(tags=["auth"])
log = logging.getLogger("api.auth")

MAX_USERNAME = 64  # User.username's length: no longer name can exist


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    department: str | None


def claim_attempt(session: Session, username: str, now: datetime) -> timedelta | None:
    """Count this attempt as a failure before any hash is computed (a success undoes it), so
    parallel guesses cannot all slip in ahead of the lock. Returns the time left when the
    username is locked, else None. Known and unknown usernames are treated alike."""
    for _ in range(50):
        row = session.get(LoginAttempt, username)
        if row is None:
            session.add(LoginAttempt(username=username, failures=1))
            try:
                session.commit()
                return None
            except IntegrityError:  # a parallel attempt made the row first
                session.rollback()
                continue
        if row.locked_until is not None and row.locked_until > now:
            return row.locked_until - now
        failures = row.failures + 1
        lock = lock_for(failures)
        # Compare-and-set on the count, so two parallel attempts never both read the same one.
        claimed = session.execute(
            update(LoginAttempt)
            .where(LoginAttempt.username == username, LoginAttempt.failures == row.failures)
            .values(failures=failures, locked_until=now + lock if lock else None))
        session.commit()
        if claimed.rowcount == 1:
            if lock:
                log.warning("login locked for %s after %d failures", lock, failures)
            return None
    return timedelta(seconds=1)  # endless contention is an attack: ask to come back


def locked(left: timedelta) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                         "too many failed logins for this username; try again later",
                         headers={"Retry-After": str(max(1, math.ceil(left.total_seconds())))})


def wrong() -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                         headers={"WWW-Authenticate": "Bearer"})


@router.post("/auth/token", response_model=Token, responses={
    401: {"description": "wrong username or password"},
    429: {"description": "locked after 5 failed logins in a row for this username, known or "
                         "not: 1 minute, doubling with every further failure, at most 15; "
                         "`Retry-After` gives the seconds left"},
})
def login(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    if len(form.username) > MAX_USERNAME:
        raise wrong()  # no such user can exist, and no row is kept for absurd names
    left = claim_attempt(session, form.username, datetime.now(UTC))
    if left is not None:
        raise locked(left)
    user = session.get(User, form.username)
    # Unknown users verify against a dummy hash, inactive ones against their own: the answer
    # takes the same time whether or not the name exists.
    ok = verify_password(form.password, user.password_hash if user else dummy_hash())
    if user is None or not user.active or not ok:
        raise wrong()
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == form.username))
    session.commit()
    return Token(access_token=create_token(user.username))


@router.get("/me", response_model=Me)
def me(user: CurrentUser) -> Me:
    return Me(username=user.username, display_name=user.display_name, role=user.role,
              department=user.department)
