"""Figures of the joint inspections and penalty cases (`GET /inspections/stats`).

A router of its own under `/inspections`, included before the inspections router so that
`/inspections/stats` is never read as an inspection's id.
"""

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUser, SessionDep
from api.errors import responses
from api.inspection_stats import COLUMNS, read
from api.tables import MEDIA, export
from domain.limits import FIRST_DAY, LAST_DAY, Day
from domain.roles import ADMIN, AUDITOR, COMMAND_LEAD, DEPT_HEAD, LEGAL_REVIEWER, OFFICER
from domain.timefmt import SHANGHAI

router = APIRouter(prefix="/inspections", tags=["inspections"])

STAFF = (OFFICER, DEPT_HEAD, COMMAND_LEAD, AUDITOR, ADMIN, LEGAL_REVIEWER)
XLSX = MEDIA["xlsx"]


class FiguresRow(BaseModel):
    """One department's figures, or the total (合计); definitions in the README."""

    group: str = Field(description="the department's name, or 合计")
    inspections: int
    visits: int
    merged: int
    enterprises_visited: int
    items_checked: int
    violation_share: float | None
    penalty_cases: int
    not_filed: int
    fined: int
    warned: int
    other_penalty: int
    no_penalty: int
    open_cases: int
    legal_review_share: float | None
    avg_days_to_decision: float | None


class EnforcementFigures(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    rows: list[FiguresRow]


@router.get("/stats", response_model=EnforcementFigures, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}, XLSX: {
        "schema": {"type": "string", "format": "binary"}}}}} | responses(401, 403, 422))
def inspection_stats(user: CurrentUser, session: SessionDep,
                     from_: Day | None = Query(None, alias="from", description=(
                         f"first day, Asia/Shanghai; {FIRST_DAY} to {LAST_DAY}")),
                     to: Day | None = Query(None, description=(
                         f"last day (inclusive), Asia/Shanghai; {FIRST_DAY} to {LAST_DAY}")),
                     format: Literal["json", "csv", "xlsx"] = "json") -> Any:
    """Per lead department and in total: inspections created and penalty cases opened in
    [from, to] (default: this month so far); definitions in the README."""
    if user.role not in STAFF:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "enforcement figures are for officers, heads, the command centre, "
                            "the legal review centre, auditors and admins")
    today = datetime.now(SHANGHAI).date()
    first = from_ or today.replace(day=1)
    last = to or today
    if last < first:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'to' is before 'from'")
    rows = read(session, first, last)
    if format == "json":
        return EnforcementFigures(from_=first, to=last,
                                  rows=[FiguresRow.model_validate(r) for r in rows])
    return export(rows, format, f"inspection-stats-{first}-{last}", COLUMNS)
