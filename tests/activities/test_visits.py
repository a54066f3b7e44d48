"""Visits and the roster, against the real database (SQLite, or PostgreSQL via DATABASE_URL).
Each test uses its own enterprise, so the tests share the session's database safely."""

import itertools
import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from activities.visits import close_visit, enforcement_roster, host_or_join, visit_counts
from db.engine import get_engine
from db.models import InspectionRow, User, Visit, VisitDepartment, VisitJoin, VisitOfficer
from db.seed import DISTRICT_PREFIX
from domain.credit_code import make_code
from domain.inspection import RosterQuery, VisitClose, VisitHost, VisitQuery

pytestmark = pytest.mark.usefixtures("database")

DAY = date(2026, 5, 11)
_codes = itertools.count(1)


def enterprise() -> str:
    """A fresh credit code no other test uses."""
    return make_code(f"{DISTRICT_PREFIX}T{uuid.uuid4().int % 10**6:06d}{next(_codes) % 100:02d}")


def query(code: str, planned: date = DAY, type_: str = "routine",
          departments: tuple[str, ...] = ("market_reg",), id_: str | None = None) -> VisitQuery:
    inspection_id = id_ or uuid.uuid4().hex[:12]
    return VisitQuery(inspection_id=inspection_id, workflow_id=f"inspection-{inspection_id}",
                      credit_code=code, type=type_, planned_date=planned,
                      departments=list(departments))


def close(q: VisitQuery, departments=("market_reg",), officers=(), countable=True,
          day: date | None = None) -> list[str]:
    return close_visit(VisitClose(visit_id=q.inspection_id, credit_code=q.credit_code,
                                  day=day or q.planned_date, departments=list(departments),
                                  officers=list(officers), countable=countable))


def visit_done(code: str, planned: date, departments=("market_reg",), officers=(),
               type_: str = "routine") -> VisitQuery:
    """A visit that took place: hosted, then closed."""
    q = query(code, planned, type_)
    assert host_or_join(q) == VisitHost()
    close(q, departments, officers, countable=type_ in ("routine", "campaign"))
    return q


def test_an_inspection_five_days_from_an_open_visit_joins_it() -> None:
    code = enterprise()
    first = query(code, DAY)
    with Session(get_engine()) as session:  # the host's projection names its lead
        session.add(InspectionRow(
            id=first.inspection_id, workflow_id=first.workflow_id, type="routine",
            status="inviting", credit_code=code, enterprise_name="测试企业",
            lead_department="ecology_env", planned_date=DAY, created_by="head_ecology_env"))
        session.commit()
    assert host_or_join(first) == VisitHost()
    second = query(code, DAY + timedelta(days=5), "complaint")
    assert host_or_join(second) == VisitHost(
        host=first.inspection_id, host_workflow_id=f"inspection-{first.inspection_id}",
        host_lead="ecology_env")
    with Session(get_engine()) as session:
        assert session.get(Visit, second.inspection_id) is None
        visit = session.get(Visit, first.inspection_id)
        assert visit.open and visit.countable and visit.planned_date == DAY


def test_fifteen_days_apart_each_hosts_its_own() -> None:
    code = enterprise()
    first, second = query(code, DAY), query(code, DAY - timedelta(days=15))
    assert host_or_join(first) == VisitHost()
    assert host_or_join(second) == VisitHost()
    with Session(get_engine()) as session:
        assert session.get(Visit, second.inspection_id).open
        assert session.exec(select(VisitJoin).where(
            VisitJoin.visit_id == first.inspection_id)).all() == []


def test_the_nearest_open_visit_is_joined_and_its_lead_unknown_without_a_row() -> None:
    code = enterprise()
    far, near = query(code, DAY - timedelta(days=15)), query(code, DAY + timedelta(days=2))
    host_or_join(far)
    host_or_join(near)
    joiner = query(code, DAY - timedelta(days=6))  # 9 days from each: the nearer in days wins
    answer = host_or_join(joiner)
    assert answer.host == near.inspection_id and answer.host_lead is None


def test_a_closed_visit_takes_no_joiners() -> None:
    code = enterprise()
    host = query(code, DAY)
    host_or_join(host)
    assert close(host) == []
    late = query(code, DAY + timedelta(days=1))
    assert host_or_join(late) == VisitHost()  # a visit of its own


def test_a_retry_gets_the_same_answer() -> None:
    code = enterprise()
    host, joiner = query(code, DAY), query(code, DAY + timedelta(days=3))
    assert host_or_join(host) == VisitHost()
    first = host_or_join(joiner)
    assert first.host == host.inspection_id
    close(host)  # even after the visit closed, a retry is told the same
    assert host_or_join(joiner) == first
    assert host_or_join(host) == VisitHost()
    with Session(get_engine()) as session:
        assert len(session.exec(select(VisitJoin).where(
            VisitJoin.inspection_id == joiner.inspection_id)).all()) == 1


def test_close_records_who_went_and_returns_the_joiners() -> None:
    code = enterprise()
    host = query(code, DAY)
    host_or_join(host)
    joiners = [query(code, DAY + timedelta(days=d)) for d in (1, -2)]
    for q in joiners:
        assert host_or_join(q).host == host.inspection_id
    for _ in range(2):  # idempotent
        assert close(host, ("market_reg", "transport"), ("officer_market_reg",
                     "officer_transport_2"), countable=False) == sorted(
            q.inspection_id for q in joiners)
    with Session(get_engine()) as session:
        visit = session.get(Visit, host.inspection_id)
        assert not visit.open and not visit.countable
        assert {d.department for d in session.exec(select(VisitDepartment).where(
            VisitDepartment.visit_id == host.inspection_id))} == {"market_reg", "transport"}
        assert {(o.username, o.day) for o in session.exec(select(VisitOfficer).where(
            VisitOfficer.visit_id == host.inspection_id))} == {
            ("officer_market_reg", DAY), ("officer_transport_2", DAY)}


def test_counts_per_department_this_year_and_the_last_30_days() -> None:
    code = enterprise()
    visit_done(code, date(2025, 12, 20), ("market_reg",))  # last year
    visit_done(code, date(2026, 1, 15), ("market_reg", "transport"))
    visit_done(code, DAY - timedelta(days=20), ("market_reg",))
    visit_done(code, DAY - timedelta(days=30), ("transport",), type_="campaign")
    visit_done(code, DAY - timedelta(days=10), ("market_reg",), type_="complaint")  # 个案
    host_or_join(query(code, DAY - timedelta(days=40)))  # open: has not taken place
    visit_done(enterprise(), DAY - timedelta(days=5), ("market_reg",))  # another enterprise
    q = query(code, DAY, departments=("market_reg", "transport", "agri_rural"))
    assert visit_counts(q).model_dump() == {
        "by_department": {"market_reg": 2, "transport": 2, "agri_rural": 0},
        "last_30_days": 2}


def test_counts_leave_out_the_inspections_own_visit() -> None:
    code = enterprise()
    host = visit_done(code, DAY - timedelta(days=1))
    assert visit_counts(host).last_30_days == 0
    assert visit_counts(host).by_department == {"market_reg": 0}
    assert visit_counts(query(code, DAY)).last_30_days == 1
    # One that joined a visit is not counted against itself, even after that visit closed.
    other = query(code, DAY + timedelta(days=20))
    host_or_join(other)
    joiner = query(code, DAY + timedelta(days=21))
    assert host_or_join(joiner).host == other.inspection_id
    close(other)
    assert visit_counts(joiner).last_30_days == 1


def test_roster_lists_each_departments_officers_and_those_recused() -> None:
    code = enterprise()
    visit_done(code, DAY - timedelta(days=200), ("market_reg",),
               ("officer_market_reg_2", "officer_market_reg_3"))
    visit_done(code, DAY - timedelta(days=400), ("market_reg",), ("officer_market_reg_4",))
    visit_done(enterprise(), DAY - timedelta(days=10), ("market_reg",), ("officer_market_reg",))
    roster = enforcement_roster(RosterQuery(departments=["market_reg", "transport", "housing"],
                                            credit_code=code, day=DAY))
    assert [o.username for o in roster.officers["market_reg"]] == [
        "officer_market_reg", "officer_market_reg_2", "officer_market_reg_3",
        "officer_market_reg_4", "officer_market_reg_expired"]
    assert len(roster.officers["transport"]) == 5 and roster.officers["housing"] == []
    expired = roster.officers["market_reg"][-1]
    assert not expired.valid_on(DAY) and roster.officers["market_reg"][0].valid_on(DAY)
    assert roster.recused == ["officer_market_reg_2", "officer_market_reg_3"]
    short = enforcement_roster(RosterQuery(departments=["market_reg"], credit_code=code,
                                           day=DAY, recusal_days=100))
    assert short.recused == []


def test_roster_leaves_out_officers_whose_account_is_inactive() -> None:
    with Session(get_engine()) as session:
        session.get(User, "officer_agri_rural_4").active = False
        session.commit()
    try:
        roster = enforcement_roster(RosterQuery(departments=["agri_rural"],
                                                credit_code=enterprise(), day=DAY))
        assert "officer_agri_rural_4" not in {o.username for o in roster.officers["agri_rural"]}
        assert len(roster.officers["agri_rural"]) == 4
    finally:
        with Session(get_engine()) as session:
            session.get(User, "officer_agri_rural_4").active = True
            session.commit()


def test_concurrent_inspections_of_one_enterprise_make_one_visit() -> None:
    code = enterprise()
    queries = [query(code, DAY) for _ in range(10)]
    answers: dict[str, VisitHost] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(queries))

    def go(q: VisitQuery) -> None:
        try:
            start.wait()
            answers[q.inspection_id] = host_or_join(q)
        except BaseException as err:  # noqa: BLE001  (reported by the test below)
            errors.append(err)

    threads = [threading.Thread(target=go, args=(q,)) for q in queries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    hosts = [i for i, a in answers.items() if a.host is None]
    assert len(hosts) == 1
    assert {a.host for i, a in answers.items() if i not in hosts} == {hosts[0]}
    with Session(get_engine()) as session:
        assert len(session.exec(select(Visit).where(Visit.credit_code == code)).all()) == 1
        assert len(session.exec(select(VisitJoin).where(
            VisitJoin.visit_id == hosts[0])).all()) == 9
