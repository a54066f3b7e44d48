"""Notices for the caller: warnings and 督办 for staff, status updates for reporters."""

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_
from sqlmodel import col, select

from api.deps import CurrentUser, SessionDep
from api.errors import responses
from api.localtime import LocalTime
from db.models import Notification
from domain.roles import REPORTER_ROLES

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: str = Field(description="status, request (an approval's outcome) or escalation")
    workflow_id: str
    task_id: str | None
    level: int
    recipient_role: str
    recipient_department: str | None
    recipient_user: str | None
    message: str
    created_at: LocalTime | None


@router.get("/notifications", response_model=list[NotificationOut],
            responses=responses(401, 422))
def my_notifications(user: CurrentUser, session: SessionDep,
                     limit: int = Query(100, ge=1, le=1000)) -> list[NotificationOut]:
    """Newest first: those addressed to the caller, and (staff only) those to the caller's role
    (and department, where one is named)."""
    to_role = and_(col(Notification.recipient_user).is_(None),
                   Notification.recipient_role == user.role,
                   or_(col(Notification.recipient_department).is_(None),
                       Notification.recipient_department == user.department))
    # Citizens, machine accounts and enterprises hear only what is addressed to them by name:
    # a notice to their whole role would tell one enterprise about another's case.
    mine = Notification.recipient_user == user.username
    query = (select(Notification)
             .where(mine if user.role in REPORTER_ROLES else or_(mine, to_role))
             .order_by(col(Notification.created_at).desc()).limit(limit))
    return [NotificationOut.model_validate(n) for n in session.exec(query).all()]
