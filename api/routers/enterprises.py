"""Enterprises (市场主体): the reference list and each one's inspections and penalty cases."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from api.deps import CurrentUser, SessionDep
from api.errors import responses
from api.localtime import LocalTime
from db.models import EnterpriseRow, InspectionRow, PenaltyCaseRow, User
from domain.credit_code import CreditCode
from domain.departments import department_name
from domain.geo import STREETS
from domain.inspection import ANNOUNCED
from domain.limits import MAX_OFFSET
from domain.roles import (
    ADMIN,
    AUDITOR,
    COMMAND_LEAD,
    DEPT_HEAD,
    LEGAL_REVIEWER,
    OFFICER,
    PARTY,
)

router = APIRouter(prefix="/enterprises", tags=["enterprises"])

# Staff who plan, review or supervise enforcement read every enterprise. The incident field
# inspector, intake, dispatch, citizens and machines have no business here.
STAFF = (OFFICER, DEPT_HEAD, COMMAND_LEAD, AUDITOR, ADMIN, LEGAL_REVIEWER)
HISTORY_LIMIT = 200  # inspections or penalty cases shown on one enterprise, newest first

RiskGrade = Literal["A", "B", "C", "D"]
CodeInPath = Annotated[CreditCode, Path(description="统一社会信用代码 (GB 32100-2015), 18 chars")]


class EnterpriseOut(BaseModel):
    credit_code: str
    name: str
    address: str
    street: str
    street_name: str | None
    industry: str
    risk_grade: str = Field(description="A (lowest risk) .. D")
    party: str | None = Field(description="username of the enterprise's own account")


class InspectionHistory(BaseModel):
    id: str
    type: str
    status: str
    lead_department: str
    planned_date: date
    merged_into: str | None = Field(description="the inspection whose visit it joined")
    violations: int


class PenaltyHistory(BaseModel):
    id: str
    status: str
    department: str
    decision_type: str | None
    fine: float | None = Field(description="yuan")
    decided_at: LocalTime | None


class EnterpriseDetail(EnterpriseOut):
    inspections: list[InspectionHistory] = Field(description=f"newest first, at most "
                                                             f"{HISTORY_LIMIT}")
    penalty_cases: list[PenaltyHistory] = Field(description=f"newest first, at most "
                                                            f"{HISTORY_LIMIT}")


def enterprise_out(row: EnterpriseRow) -> EnterpriseOut:
    return EnterpriseOut(credit_code=row.credit_code, name=row.name, address=row.address,
                         street=row.street, street_name=department_name(row.street),
                         industry=row.industry, risk_grade=row.risk_grade,
                         party=row.party_username)


def readers_only(user: User) -> None:
    if user.role not in STAFF and user.role != PARTY:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "enterprises are for enforcement staff and the enterprise itself")


@router.get("", response_model=list[EnterpriseOut], responses=responses(401, 403, 422))
def list_enterprises(user: CurrentUser, session: SessionDep,
                     street: str | None = Query(None, max_length=40, pattern=r"^[a-z_]+$",
                                                description="a street or town code"),
                     risk_grade: RiskGrade | None = None,
                     limit: int = Query(100, ge=1, le=1000),
                     offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[EnterpriseOut]:
    """Enterprises by street and name; an enterprise's own account sees only itself."""
    readers_only(user)
    if street is not None and street not in STREETS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown street {street!r}; one of {sorted(STREETS)}")
    query = select(EnterpriseRow)
    if user.role == PARTY:
        query = query.where(EnterpriseRow.party_username == user.username)
    if street is not None:
        query = query.where(EnterpriseRow.street == street)
    if risk_grade is not None:
        query = query.where(EnterpriseRow.risk_grade == risk_grade)
    query = query.order_by(col(EnterpriseRow.street), col(EnterpriseRow.name),
                           col(EnterpriseRow.credit_code))
    return [enterprise_out(r) for r in session.exec(query.offset(offset).limit(limit)).all()]


def history(session: Session, credit_code: str, party: bool = False
            ) -> tuple[list[InspectionHistory], list[PenaltyHistory]]:
    """`party`: as the enterprise sees it, without inspections not yet on site (unannounced)."""
    where = [InspectionRow.credit_code == credit_code]
    if party:
        where.append(col(InspectionRow.status).in_(ANNOUNCED))
    inspections = session.exec(
        select(InspectionRow).where(*where)
        .order_by(col(InspectionRow.planned_date).desc(), col(InspectionRow.created_at).desc(),
                  col(InspectionRow.id).desc()).limit(HISTORY_LIMIT)).all()
    cases = session.exec(
        select(PenaltyCaseRow).where(PenaltyCaseRow.credit_code == credit_code)
        .order_by(col(PenaltyCaseRow.opened_at).desc(), col(PenaltyCaseRow.id).desc())
        .limit(HISTORY_LIMIT)).all()
    return ([InspectionHistory.model_validate(r, from_attributes=True) for r in inspections],
            [PenaltyHistory.model_validate(r, from_attributes=True) for r in cases])


@router.get("/{credit_code}", response_model=EnterpriseDetail,
            responses=responses(401, 403, 404, 422))
def get_enterprise(credit_code: CodeInPath, user: CurrentUser,
                   session: SessionDep) -> EnterpriseDetail:
    """The enterprise, its account and its history. A wrong check character is a 422."""
    readers_only(user)
    row = session.get(EnterpriseRow, credit_code)
    # An enterprise's account is refused any other code, known or not: no probing the list.
    if user.role == PARTY and (row is None or row.party_username != user.username):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an enterprise sees only itself")
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no enterprise {credit_code}")
    inspections, cases = history(session, credit_code, party=user.role == PARTY)
    return EnterpriseDetail(**enterprise_out(row).model_dump(), inspections=inspections,
                            penalty_cases=cases)
