"""德分宝 monthly settlement (月度结算) and the month's report, and reading any account.

A month is settled by one workflow (`settlement-<yyyy-mm>`), started by the Temporal Schedule
on the 1st or by admin here; starting it again answers with the one that runs. Statements are
reviewed on the task board (`/tasks`): the finance officer of the merchant's community
approves or disputes lines, the merchant accepts or contests, admin decides.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import CurrentUser, SessionDep, TemporalDep
from api.errors import responses
from api.localtime import LocalTime
from api.policy import settlement_policy
from api.routers.credit import AccountOut, account_out
from api.routers.tasks import Completion, precheck
from db.models import (
    CreditReportRow,
    LedgerAccountRow,
    MerchantRow,
    SettlementRow,
    StatementRow,
    User,
)
from db.settlement import statement_lines
from domain.roles import ADMIN, AUDITOR, COMMUNITY_WORKER, DEPT_HEAD, FINANCE_OFFICER, MERCHANT
from domain.settlement import (
    MONTH_PATTERN,
    STATEMENT,
    STATEMENT_NAMES,
    STEP_NAMES,
    DisputeData,
    SettlementInput,
    amount_text,
    month_end,
    workflow_id_for,
)
from workflows.registry import processes

router = APIRouter(prefix="/credit", tags=["德分宝 settlement"])

Month = Annotated[str, Path(pattern=MONTH_PATTERN, description="yyyy-mm, e.g. 2026-11")]
LEDGER_READERS = (AUDITOR, ADMIN)  # every account; community workers read their community's
RECENT = 50


class StatementOut(BaseModel):
    id: str
    merchant: str
    merchant_name: str
    community: str
    redemptions: int
    points: int
    rate: float = Field(description="yuan per point (0: a donor)")
    amount: str = Field(description="what the statement says is due, e.g. '12.50 元'")
    amount_fen: int
    status: str = Field(description="review, disputed, contested, approved, payable")
    status_name: str
    excluded: list[str] = Field(description="lines (redemption ids) taken out by a dispute")
    points_settled: int | None
    amount_fen_settled: int | None
    payable_at: LocalTime | None
    open_task_ids: list[str]


class SettlementOut(BaseModel):
    month: str
    workflow_id: str
    step: str | None = Field(description="closing ... settled; null before it started")
    step_name: str | None
    started_by: str | None
    started_at: LocalTime | None
    settled_at: LocalTime | None
    totals: dict[str, Any] = Field(description="voided, expired, statements, settled")
    statements: list[StatementOut]


class RunOut(BaseModel):
    month: str
    workflow_id: str
    started: bool = Field(description="false: the month's settlement was started before")
    message: str


class LineOut(BaseModel):
    redemption: str
    offer_id: str
    offer_title: str | None
    points: int
    confirmed_at: LocalTime
    resident: str | None = Field(None, description="finance officers, admin, auditors only")
    excluded: bool


class StatementDetail(StatementOut):
    lines: list[LineOut]


def _statement_out(row: StatementRow) -> StatementOut:
    return StatementOut(
        id=row.id, merchant=row.merchant, merchant_name=row.merchant_name,
        community=row.community, redemptions=row.redemptions, points=row.points,
        rate=row.rate, amount=amount_text(row.amount_fen), amount_fen=row.amount_fen,
        status=row.status, status_name=STATEMENT_NAMES.get(row.status, row.status),
        excluded=list(row.excluded or []), points_settled=row.points_settled,
        amount_fen_settled=row.amount_fen_settled, payable_at=row.payable_at,
        open_task_ids=list((row.state or {}).get("open_task_ids", [])))


def _statements_of(user: User) -> Any:
    """Which statements `user` may read: admin and auditors all, a finance officer those of
    their community, a merchant its own; nobody else any."""
    c = StatementRow.__table__.c
    if user.role in (ADMIN, AUDITOR):
        return None
    if user.role == FINANCE_OFFICER and user.department:
        return c.community == user.department
    if user.role == MERCHANT and user.department:
        return c.merchant == user.department
    raise HTTPException(status.HTTP_403_FORBIDDEN,
                        "settlements are read by finance officers, merchants, admin and "
                        "auditors")


@router.post("/settlements/{month}/run", status_code=status.HTTP_202_ACCEPTED,
             response_model=RunOut,
             responses={200: {"model": RunOut, "description": "started before: that one"}}
             | responses(401, 403, 409, 422))
async def run_settlement(month: Month, user: CurrentUser, client: TemporalDep,
                         response: Response) -> RunOut:
    """Settle a month by hand (admin). A month is settled once: its workflow id is the
    month's, so running it again answers with the settlement already started."""
    if user.role != ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admin runs a settlement by hand")
    if datetime.now(UTC) < month_end(month):
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"{month} has not ended yet: it is settled after its last day")
    wid = workflow_id_for(month)
    try:
        await processes()["settlement"].start(client, month, SettlementInput(
            month=month, started_by=user.username, policy=settlement_policy()))
    except WorkflowAlreadyStartedError:
        response.status_code = status.HTTP_200_OK
        return RunOut(month=month, workflow_id=wid, started=False,
                      message=f"{month} 的结算已经启动过，每月只结算一次")
    return RunOut(month=month, workflow_id=wid, started=True, message=f"{month} 结算已启动")


@router.get("/settlements/{month}", response_model=SettlementOut,
            responses=responses(401, 403, 404, 422))
def get_settlement(month: Month, user: CurrentUser, session: SessionDep) -> SettlementOut:
    """A month's settlement: its step, totals and the statements the caller may read."""
    where = _statements_of(user)
    run = session.get(SettlementRow, month)
    query = select(StatementRow).where(StatementRow.__table__.c.month == month)
    if where is not None:
        query = query.where(where)
    rows = [r[0] for r in session.execute(query.order_by(StatementRow.__table__.c.merchant))]
    if run is None and not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{month} has not been settled")
    state = run.state if run else {}
    totals = {k: state.get(k) for k in ("voided", "expired_accounts", "expired_points",
                                         "statements", "reviewed", "disputed",
                                         "points_settled", "amount_fen", "reversed_points")}
    if where is not None:  # a merchant or a community sees its own figures only
        totals = {"statements": len(rows)}
    return SettlementOut(
        month=month, workflow_id=workflow_id_for(month), step=run.step if run else None,
        step_name=STEP_NAMES.get(run.step) if run else None,
        started_by=run.started_by if run else None, started_at=run.started_at if run else None,
        settled_at=run.settled_at if run else None, totals=totals,
        statements=[_statement_out(r) for r in rows])


@router.get("/settlements/{month}/statements/{merchant}", response_model=StatementDetail,
            responses=responses(401, 403, 404, 422))
def get_statement(month: Month, user: CurrentUser, session: SessionDep,
                  merchant: str = Path(max_length=40, pattern=r"^[\w-]+$")) -> StatementDetail:
    """A statement with its lines: the month's confirmed redemptions of the merchant."""
    where = _statements_of(user)
    row = session.get(StatementRow, f"{month}-{merchant}")
    shop = session.get(MerchantRow, merchant)
    if row is None or shop is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such statement")
    if where is not None and not (
            (user.role == FINANCE_OFFICER and row.community == user.department)
            or (user.role == MERCHANT and row.merchant == user.department)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such statement")
    staff = user.role in (FINANCE_OFFICER, ADMIN, AUDITOR)
    excluded = set(row.excluded or [])
    lines = [LineOut(redemption=r.redemption, offer_id=r.offer_id, offer_title=r.offer_title,
                     points=r.points, confirmed_at=r.confirmed_at,
                     resident=r.resident if staff else None,
                     excluded=r.redemption in excluded)
             for r in statement_lines(session.connection(), month, shop.account)]
    return StatementDetail(**_statement_out(row).model_dump(), lines=lines)


@precheck(STATEMENT)
def check_lines(session: Session, body: Completion, workflow_id: str) -> None:
    """A dispute names lines of this statement (its month's confirmed redemptions)."""
    if body.decision != "dispute":
        return
    try:
        data = DisputeData.model_validate(body.data)
    except ValueError:
        return  # the workflow's validator answers with the details
    sid = workflow_id.removeprefix("statement-")
    row = session.get(StatementRow, sid)
    shop = session.get(MerchantRow, row.merchant) if row else None
    if row is None or shop is None:
        return
    found = {r.redemption for r in statement_lines(session.connection(), row.month,
                                                   shop.account, data.lines)}
    unknown = [line for line in data.lines if line not in found]
    if unknown:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"data.lines: 不是本结算单的明细：{', '.join(unknown[:10])}")


@router.get("/reports/{month}", responses=responses(401, 404, 422))
def get_report(month: Month, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """The month's report, published when its settlement ends: points issued by kind,
    redeemed, expired and settled; residents active; the 善行义举榜 (display names only)."""
    row = session.get(CreditReportRow, month)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"{month} 的月报尚未发布（结算完成后发布）")
    return row.data | {"published_at": row.published_at}


@router.get("/accounts/{account_id}", response_model=AccountOut,
            responses=responses(401, 403, 404, 422))
def get_account(user: CurrentUser, session: SessionDep,
                account_id: str = Path(max_length=96, pattern=r"^[A-Za-z0-9:._-]+$")
                ) -> AccountOut:
    """Any account (auditors, admin), or one of a community's accounts (its community
    workers and head): balance, reserved, available and the last 50 transfers."""
    found = session.get(LedgerAccountRow, account_id)
    mine = user.role in (COMMUNITY_WORKER, DEPT_HEAD) and found is not None \
        and found.community is not None and found.community == user.department
    if user.role not in LEDGER_READERS and not mine:
        if user.role in (COMMUNITY_WORKER, DEPT_HEAD):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account in your community")
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "accounts are read by community workers, auditors and admin")
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account")
    return account_out(session.connection(), account_id, RECENT)
