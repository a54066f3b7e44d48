"""Dependencies shared by the routers: the database session, the caller, Temporal."""

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from temporalio.client import Client

from db.engine import get_engine
from db.models import User
from domain.tasks import Actor
from security import read_token

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

log = logging.getLogger("api")

async def session_scope() -> AsyncIterator[Session]:
    """A request's session. Async so that FastAPI does not hand it to its thread pool (two
    thread hops a request were a seventh of the API's time); it only opens lazily."""
    with Session(get_engine()) as session:
        yield session


SessionDep = Annotated[Session, Depends(session_scope)]


async def current_user(session: SessionDep,
                       token: Annotated[str | None, Depends(oauth2)]) -> User:
    # A primary-key read: quick, and never behind a writer (WAL on SQLite, MVCC on PostgreSQL).
    username = read_token(token) if token else None
    user = session.get(User, username) if username else None
    # Give the connection back at once: many requests then wait on Temporal, not holding one
    # (the session reconnects if the endpoint reads more).
    session.close()
    if user is None or not user.active:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[User], User]:
    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {user.role!r} may not do this; needs one of {list(roles)}")
        return user

    return check


def actor_of(user: User) -> Actor:
    return Actor(username=user.username, role=user.role, department=user.department,
                 display_name=user.display_name)


async def temporal(request: Request) -> Client:
    """The app's Temporal client, connected on first use so the API starts without it."""
    from temporal_client import connect

    state = request.app.state
    if getattr(state, "temporal", None) is None:
        try:
            state.temporal = await connect()
        except Exception as err:  # noqa: BLE001  (any connect failure is "unavailable")
            # The error names addresses and internals: log it, tell the caller only this.
            log.exception("cannot connect to Temporal")
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                                "the workflow service is unavailable; try again later") from err
    return state.temporal


TemporalDep = Annotated[Client, Depends(temporal)]
