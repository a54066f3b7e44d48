"""Visits (进一次门、查多项事) and the officer roster, for the inspection process.

A visit is one trip to an enterprise: hosted by the inspection whose id it bears, joined by
inspections planned close to it. Every visit write holds the enterprise's `report_lock` row
(`enterprise:<credit_code>`), so two inspections of one enterprise never both host overlapping
visits, and a visit takes no joiner once its on-site check has begun. Each activity is one
transaction and answers a retry of the same inspection as it answered the first time.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.engine import get_engine
from db.locks import hold_lock
from db.models import (
    EnforcementOfficerRow,
    InspectionRow,
    User,
    Visit,
    VisitDepartment,
    VisitJoin,
    VisitOfficer,
)
from domain.enforcement import Officer
from domain.inspection import (
    COUNTED_TYPES,
    Roster,
    RosterQuery,
    VisitClose,
    VisitCounts,
    VisitHost,
    VisitQuery,
    workflow_id_for,
)

RECENT_DAYS = 30  # the enterprise's cap counts visits in the 30 days up to the plan


def lock_key(credit_code: str) -> str:
    return f"enterprise:{credit_code}"


def _taken_place(q: VisitQuery) -> list:
    """Countable visits to the enterprise that took place, other than this inspection's own
    (hosted or joined: a retry after its visit closed must count the same)."""
    own = select(VisitJoin.visit_id).where(VisitJoin.inspection_id == q.inspection_id)
    return [Visit.credit_code == q.credit_code, col(Visit.countable).is_(True),
            col(Visit.open).is_(False), Visit.id != q.inspection_id, col(Visit.id).not_in(own)]


@activity.defn
def visit_counts(q: VisitQuery) -> VisitCounts:
    """Per department, the countable visits to the enterprise it took part in during the
    calendar year of the plan; and all countable visits in the 30 days up to the plan."""
    year = (date(q.planned_date.year, 1, 1), date(q.planned_date.year, 12, 31))
    with Session(get_engine()) as session:
        per_department = dict(session.exec(
            select(VisitDepartment.department, func.count(distinct(Visit.id)))
            .join(Visit, col(Visit.id) == VisitDepartment.visit_id)
            .where(*_taken_place(q), col(VisitDepartment.department).in_(q.departments),
                   col(Visit.planned_date).between(*year))
            .group_by(VisitDepartment.department)).all())
        recent = session.exec(
            select(func.count(col(Visit.id))).where(
                *_taken_place(q), col(Visit.planned_date).between(
                    q.planned_date - timedelta(days=RECENT_DAYS), q.planned_date))).one()
    return VisitCounts(by_department={d: per_department.get(d, 0) for d in q.departments},
                       last_30_days=recent)


def _host_of(session: Session, visit_id: str) -> VisitHost:
    host = session.get(InspectionRow, visit_id)
    return VisitHost(host=visit_id, host_workflow_id=workflow_id_for(visit_id),
                     host_lead=host.lead_department if host is not None else None)


@activity.defn
def host_or_join(q: VisitQuery) -> VisitHost:
    """Join the nearest open visit to the enterprise planned within `window_days`, or host a
    new one (an empty VisitHost)."""
    with Session(get_engine()) as session:
        hold_lock(session, lock_key(q.credit_code))
        # A retry: the first attempt's answer stands (it may have committed, then timed out).
        if session.get(Visit, q.inspection_id) is not None:
            session.commit()
            return VisitHost()
        joined = session.exec(select(VisitJoin).where(
            VisitJoin.inspection_id == q.inspection_id)).first()
        if joined is not None:
            answer = _host_of(session, joined.visit_id)
            session.commit()
            return answer
        window = timedelta(days=q.window_days)
        candidates = session.exec(select(Visit).where(
            Visit.credit_code == q.credit_code, col(Visit.open).is_(True),
            Visit.id != q.inspection_id,
            col(Visit.planned_date).between(q.planned_date - window,
                                            q.planned_date + window))).all()
        if candidates:
            nearest = min(candidates,
                          key=lambda v: (abs((v.planned_date - q.planned_date).days), v.id))
            session.add(VisitJoin(visit_id=nearest.id, inspection_id=q.inspection_id))
            answer = _host_of(session, nearest.id)
        else:
            session.add(Visit(id=q.inspection_id, credit_code=q.credit_code,
                              planned_date=q.planned_date, open=True,
                              countable=q.type in COUNTED_TYPES,
                              created_at=datetime.now(UTC)))
            answer = VisitHost()
        session.commit()
    return answer


@activity.defn
def close_visit(c: VisitClose) -> list[str]:
    """The visit takes no more joiners; who went is recorded. Returns the inspections that
    joined it, sorted."""
    with Session(get_engine()) as session:
        hold_lock(session, lock_key(c.credit_code))
        visit = session.get(Visit, c.visit_id)
        if visit is None:
            # host_or_join always writes it first; recorded anyway so the caps stay true.
            visit = Visit(id=c.visit_id, credit_code=c.credit_code, planned_date=c.day,
                          created_at=datetime.now(UTC))
            session.add(visit)
        elif visit.credit_code != c.credit_code:
            raise ApplicationError(f"visit {c.visit_id} is to {visit.credit_code}, "
                                   f"not {c.credit_code}", type="WrongEnterprise",
                                   non_retryable=True)
        visit.open = False
        visit.countable = c.countable
        for department in sorted(set(c.departments)):
            if session.get(VisitDepartment, (c.visit_id, department)) is None:
                session.add(VisitDepartment(visit_id=c.visit_id, department=department))
        for username in sorted(set(c.officers)):
            officer = session.get(VisitOfficer, (c.visit_id, username))
            if officer is None:
                session.add(VisitOfficer(visit_id=c.visit_id, username=username, day=c.day))
            else:
                officer.day = c.day
        joined = session.exec(select(VisitJoin.inspection_id)
                              .where(VisitJoin.visit_id == c.visit_id)).all()
        session.commit()
    return sorted(joined)


@activity.defn
def enforcement_roster(q: RosterQuery) -> Roster:
    """Each department's officers (certificates included: the workflow checks their dates),
    and who inspected the enterprise within `recusal_days` up to the day (回避)."""
    with Session(get_engine()) as session:
        rows = session.exec(
            select(EnforcementOfficerRow)
            .join(User, col(User.username) == EnforcementOfficerRow.username, isouter=True)
            # An officer without an active account could never take the task.
            .where(col(EnforcementOfficerRow.department).in_(q.departments),
                   col(User.active).is_not(False))
            .order_by(EnforcementOfficerRow.username)).all()
        recused = session.exec(
            select(VisitOfficer.username).distinct()
            .join(Visit, col(Visit.id) == VisitOfficer.visit_id)
            .where(Visit.credit_code == q.credit_code,
                   col(VisitOfficer.day).between(q.day - timedelta(days=q.recusal_days), q.day))
        ).all()
    officers: dict[str, list] = {d: [] for d in q.departments}
    for row in rows:
        officers[row.department].append(Officer(
            username=row.username, department=row.department,
            certificate_no=row.certificate_no,
            certificate_expires=row.certificate_expires).model_dump(mode="json"))
    return Roster(officers=officers, recused=sorted(recused))
