"""德分宝 good-deed points (issue 9): the daily check-in and a resident's own account.

Points live on the double-entry ledger (domain/ledger.py, db/ledger.py): a check-in is a
transfer from the community's issuance account to the resident's, with the id
`checkin:<username>:<date>`, so a second check-in the same Asia/Shanghai day finds the first.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import desc, or_, select
from sqlalchemy.engine import Connection

from api.deps import CurrentUser, SessionDep
from api.errors import responses
from api.localtime import LocalTime
from config import get_settings
from db.engine import get_engine
from db.ledger import award, balance, open_account
from db.models import LedgerTransferRow, ResidentRow, User
from domain.ledger import Caps, LedgerError, TransferRequest, account_id
from domain.roles import CITIZEN
from domain.timefmt import SHANGHAI

router = APIRouter(prefix="/credit", tags=["德分宝 points"])

CHECKIN_POINTS = 1
RECENT = 20  # transfers shown with a balance
CAP_NAMES = {"per_day": "每日上限", "per_month": "每月上限", "balance": "积分存量上限"}


class CheckinOut(BaseModel):
    date: str = Field(description="the Asia/Shanghai day checked in")
    points: int = Field(description="points this check-in gave (0 when a cap left no room)")
    balance: int = Field(description="available points now")
    capped_by: str | None = Field(None, description="per_day, per_month or balance")
    message: str


class TransferLine(BaseModel):
    id: str
    kind: str
    reason: str
    points: int = Field(description="signed: + into the account, - out of it")
    phase: str
    at: LocalTime


class AccountOut(BaseModel):
    account: str
    posted: int = Field(description="points held")
    pending: int = Field(description="points reserved by redemptions not yet confirmed")
    available: int = Field(description="points that may still be spent")
    recent: list[TransferLine]


def caps() -> Caps:
    s = get_settings()
    return Caps(per_day=s.credit_cap_per_day, per_month=s.credit_cap_per_month,
                balance=s.credit_cap_balance)


def resident_of(session: SessionDep, user: User) -> ResidentRow:
    if user.role != CITIZEN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "points are for residents (citizen)")
    home = session.get(ResidentRow, user.username)
    if home is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "you are not a registered resident of a community")
    return home


@router.post("/checkins", status_code=status.HTTP_201_CREATED, response_model=CheckinOut,
             responses={200: {"model": CheckinOut, "description": "already checked in today: "
                              "the first check-in"}} | responses(401, 403))
def check_in(user: CurrentUser, session: SessionDep, response: Response) -> CheckinOut:
    """签到: 1 point, once a day (Asia/Shanghai), within the caps."""
    home = resident_of(session, user)
    session.close()
    now = datetime.now(UTC)
    day = now.astimezone(SHANGHAI).date().isoformat()
    engine = get_engine()
    mine = account_id("resident", user.username)
    issuance = account_id("issuance", home.community)
    open_account(engine, issuance, "issuance", home.community, home.community)
    open_account(engine, mine, "resident", user.username, home.community)
    try:
        done = award(engine, TransferRequest(
            id=f"checkin:{user.username}:{day}", debit=issuance, credit=mine,
            amount=CHECKIN_POINTS, kind="checkin", reason=f"{day} 每日签到",
            actor=user.username, at=now), caps())
    except LedgerError as err:
        raise HTTPException(status.HTTP_409_CONFLICT, err.message) from err
    with engine.connect() as conn:
        held = balance(conn, mine)
    if done.repeated:
        response.status_code = status.HTTP_200_OK
        message = "今天已经签到过了"
    elif done.given:
        message = f"签到成功，获得 {done.given} 积分"
    else:
        message = "今天签到已记录，但已达积分上限，未获得积分"
    if done.capped_by:
        message += f"（{CAP_NAMES[done.capped_by]}）"
    return CheckinOut(date=day, points=done.given, balance=held.available if held else 0,
                      capped_by=done.capped_by, message=message)


@router.get("/accounts/me", response_model=AccountOut, responses=responses(401, 403))
def my_account(user: CurrentUser, session: SessionDep) -> AccountOut:
    """The caller's points: held, reserved, available, and the last 20 transfers."""
    resident_of(session, user)
    return account_out(session.connection(), account_id("resident", user.username), RECENT)


def account_out(conn: Connection, account: str, recent: int) -> AccountOut:
    """An account's balance and its last `recent` transfers (an unknown one holds nothing)."""
    held = balance(conn, account)
    if held is None:
        return AccountOut(account=account, posted=0, pending=0, available=0, recent=[])
    t = LedgerTransferRow.__table__.c
    rows = conn.execute(select(LedgerTransferRow.__table__)
                        .where(or_(t.debit == account, t.credit == account))
                        .order_by(desc(t.at), desc(t.id)).limit(recent)).all()
    lines = [TransferLine(id=r.id, kind=r.kind, reason=r.reason, phase=r.phase, at=r.at,
                          points=r.amount if r.credit == account else -r.amount) for r in rows]
    return AccountOut(account=account, posted=held.posted, pending=held.pending,
                      available=held.available, recent=lines)
