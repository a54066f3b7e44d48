"""Notices for the caller: warnings and 督办 for staff, status updates for reporters."""

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import and_, or_
from sqlmodel import col, select

from api.deps import CurrentUser, SessionDep
from api.errors import responses
from api.localtime import localize
from db.models import Notification

router = APIRouter(tags=["notifications"])


@router.get("/notifications", responses=responses(401, 422))
def my_notifications(user: CurrentUser, session: SessionDep,
                     limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Newest first: those addressed to the caller, and those to the caller's role (and
    department, where one is named)."""
    to_role = and_(col(Notification.recipient_user).is_(None),
                   Notification.recipient_role == user.role,
                   or_(col(Notification.recipient_department).is_(None),
                       Notification.recipient_department == user.department))
    query = (select(Notification)
             .where(or_(Notification.recipient_user == user.username, to_role))
             .order_by(col(Notification.created_at).desc()).limit(limit))
    return [localize(n.model_dump()) for n in session.exec(query).all()]
