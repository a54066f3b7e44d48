"""Named locks held for one transaction, on SQLite and PostgreSQL alike."""

from sqlalchemy import text, update
from sqlmodel import Session, col

from db.models import ReportLock


def hold_lock(session: Session, key: str) -> None:
    """Hold `key`'s `report_lock` row until the transaction ends: the first write takes it (a
    row lock on PostgreSQL, the single writer on SQLite), so whoever comes second waits and
    then sees what the first one wrote."""
    session.execute(text("INSERT INTO report_lock (key, n) VALUES (:k, 0) "
                         "ON CONFLICT (key) DO NOTHING"), {"k": key})
    session.execute(update(ReportLock).where(col(ReportLock.key) == key)
                    .values(n=ReportLock.n + 1))
