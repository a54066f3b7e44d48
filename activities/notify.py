"""Notifications to people: stored once per key, so retries never notify twice."""

from datetime import UTC, datetime

from sqlmodel import Session
from temporalio import activity

from db.engine import get_engine
from db.models import Notification
from domain.tasks import Notice


def store_notice(session: Session, notice: Notice) -> bool:
    """Add the notice unless its key is already there; True if added."""
    if session.get(Notification, notice.key) is not None:
        return False
    session.add(Notification(**notice.model_dump(), created_at=datetime.now(UTC)))
    return True


@activity.defn
def notify(notice: Notice) -> None:
    with Session(get_engine()) as session:
        if not store_notice(session, notice):
            return
        session.commit()
    activity.logger.info("notice %s to %s/%s: %s", notice.key, notice.recipient_role,
                         notice.recipient_department, notice.message)
