"""德分宝 offers and redemptions (issue 9): merchants publish offers, residents redeem them
with points, merchants confirm the resident's single-use code (domain/redemption.py).

A redemption reserves one unit of the offer and the points in one transaction
(db/ledger.reserve, pending transfer `redemption:<id>`), then starts RedemptionWorkflow
(`redemption-<id>`), which posts the reservation on the merchant's confirmation or voids it
(and gives the unit back) on cancellation or after `redemption_days`. The code is shown only
to its resident and in the merchant's confirmation; it is never logged.
"""

import logging
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import Session, col, select
from temporalio.client import Client

from api.actions import send_update
from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.errors import responses
from api.localtime import LocalTime
from api.routers.credit import resident_of
from config import get_settings
from db.engine import get_engine
from db.ledger import open_account, release, reserve
from db.models import MerchantRow, OfferRow, RedemptionRow, User
from domain.ledger import INSUFFICIENT, LedgerError, TransferRequest, account_id
from domain.limits import ShortText
from domain.redemption import (
    CODE_ALPHABET,
    CODE_LENGTH,
    PROCESS,
    CancelRequest,
    ConfirmRequest,
    RateRequest,
    RedemptionInput,
    RedemptionState,
    pending_id,
    workflow_id,
)
from domain.roles import ADMIN, AUDITOR, CITIZEN, MERCHANT
from domain.timefmt import SHANGHAI
from workflows.registry import processes

log = logging.getLogger(__name__)
router = APIRouter(prefix="/credit", tags=["德分宝 points"])

LIST_LIMIT = 200
Code = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$",
                           description="the resident's single-use code")]


class MerchantRef(BaseModel):
    code: str
    name: str


class OfferIn(BaseModel):
    title: Annotated[ShortText, StringConstraints(min_length=1)]
    kind: Literal["goods", "service"]
    points: int = Field(ge=1, le=100_000)
    stock: int = Field(ge=0, le=1_000_000)
    valid_until: date


class OfferOut(BaseModel):
    id: str
    merchant: MerchantRef
    title: str
    kind: str
    points: int
    stock: int
    valid_until: date


class RedemptionIn(BaseModel):
    offer_id: str = Field(min_length=1, max_length=40)


class RatingIn(BaseModel):
    stars: int = Field(ge=1, le=5)


class RedemptionOut(BaseModel):
    id: str
    workflow_id: str
    code: str | None = Field(None, description="only for its resident, and in a confirmation")
    status: str
    resident: str
    offer_id: str
    merchant: MerchantRef
    points: int
    reserved_at: LocalTime | None = None
    expires_at: LocalTime | None = None
    confirmed_at: LocalTime | None = None
    ended_at: LocalTime | None = None
    rating: int | None = None


def today() -> date:
    return datetime.now(UTC).astimezone(SHANGHAI).date()


def merchant_of(session: Session, user: User) -> MerchantRow:
    if user.role != MERCHANT or not user.department:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a merchant may do this")
    merchant = session.get(MerchantRow, user.department)
    if merchant is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "your merchant is not registered")
    return merchant


def offer_out(offer: OfferRow, merchant: MerchantRow | None) -> OfferOut:
    ref = MerchantRef(code=offer.merchant, name=merchant.name if merchant else offer.merchant)
    return OfferOut(id=offer.id, merchant=ref, title=offer.title, kind=offer.kind,
                    points=offer.points, stock=offer.stock, valid_until=offer.valid_until)


def redemption_out(row: RedemptionRow, names: dict[str, str], show_code: bool) -> RedemptionOut:
    return RedemptionOut(
        id=row.id, workflow_id=row.workflow_id, code=row.code if show_code else None,
        status=row.status, resident=row.resident, offer_id=row.offer_id,
        merchant=MerchantRef(code=row.merchant, name=names.get(row.merchant, row.merchant)),
        points=row.points, reserved_at=row.reserved_at, expires_at=row.expires_at,
        confirmed_at=row.confirmed_at, ended_at=row.ended_at, rating=row.rating)


def state_out(state: RedemptionState, show_code: bool) -> RedemptionOut:
    return RedemptionOut(
        id=state.id, workflow_id=state.workflow_id, code=state.code if show_code else None,
        status=state.status, resident=state.resident, offer_id=state.offer_id,
        merchant=MerchantRef(code=state.merchant, name=state.merchant_name),
        points=state.points, reserved_at=state.reserved_at, expires_at=state.expires_at,
        confirmed_at=state.confirmed_at, ended_at=state.ended_at, rating=state.rating)


def new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(RedemptionRow.id).where(RedemptionRow.code == code)).first() is None:
            return code


def by_code(session: Session, code: str) -> RedemptionRow:
    row = session.exec(select(RedemptionRow).where(RedemptionRow.code == code.upper())).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such redemption code")
    return row


# -- offers -------------------------------------------------------------------------------

@router.post("/offers", status_code=status.HTTP_201_CREATED, response_model=OfferOut,
             responses=responses(401, 403, 422))
def create_offer(body: OfferIn, user: CurrentUser, session: SessionDep) -> OfferOut:
    """A merchant publishes an offer of its own: goods or a service for points."""
    merchant = merchant_of(session, user)
    if body.valid_until < today():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "valid_until: the offer must be valid today or later")
    offer = OfferRow(id=f"{merchant.code}-{uuid.uuid4().hex[:10]}"[:40], merchant=merchant.code,
                     title=body.title, kind=body.kind, points=body.points, stock=body.stock,
                     valid_until=body.valid_until, created_at=datetime.now(UTC))
    session.add(offer)
    session.commit()
    session.refresh(offer)
    return offer_out(offer, merchant)


@router.get("/offers", response_model=list[OfferOut], responses=responses(401))
def list_offers(user: CurrentUser, session: SessionDep) -> list[OfferOut]:
    """The offers that may be redeemed now: stock left and still valid."""
    offers = session.exec(select(OfferRow).where(
        col(OfferRow.stock) > 0, col(OfferRow.valid_until) >= today())
        .order_by(col(OfferRow.merchant), col(OfferRow.id)).limit(LIST_LIMIT)).all()
    merchants = {m.code: m for m in session.exec(select(MerchantRow)).all()}
    return [offer_out(o, merchants.get(o.merchant)) for o in offers]


# -- redemptions --------------------------------------------------------------------------

@router.post("/redemptions", status_code=status.HTTP_201_CREATED, response_model=RedemptionOut,
             responses=responses(401, 403, 404, 409, 422, 503))
async def redeem(body: RedemptionIn, user: CurrentUser, session: SessionDep,
                 client: TemporalDep) -> RedemptionOut:
    """积分兑换: reserve one unit of the offer and its points (409 when the balance or the
    stock does not cover it: nothing is reserved), then start the redemption's workflow. The
    answer carries the single-use code to show at the merchant."""
    home = resident_of(session, user)
    offer = session.get(OfferRow, body.offer_id)
    merchant = session.get(MerchantRow, offer.merchant) if offer else None
    if offer is None or merchant is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such offer")
    rid = uuid.uuid4().hex[:16]
    code = new_code(session)
    now = datetime.now(UTC)
    engine = get_engine()
    mine = account_id("resident", user.username)
    open_account(engine, mine, "resident", user.username, home.community)
    open_account(engine, merchant.account, "merchant", merchant.code, merchant.community)
    try:
        reserve(engine, TransferRequest(
            id=pending_id(rid), phase="pending", debit=mine, credit=merchant.account,
            amount=offer.points, kind="redemption", reason=f"兑换 {offer.title}"[:200],
            actor=user.username, at=now), offer.id)
    except LedgerError as err:  # nothing was reserved
        raise HTTPException(status.HTTP_409_CONFLICT, "积分或库存不足，未能兑换"
                            if err.kind == INSUFFICIENT else err.message) from err
    days = get_settings().redemption_days
    expires = now + timedelta(days=days)
    # The row first, so the code is found at once; the workflow's projections keep it in step.
    row = RedemptionRow(id=rid, workflow_id=workflow_id(rid), code=code, status="reserved",
                        resident=user.username, community=home.community, offer_id=offer.id,
                        merchant=merchant.code, points=offer.points, reserved_at=now,
                        expires_at=expires, version=0)
    session.add(row)
    session.commit()
    inp = RedemptionInput(id=rid, resident=user.username, community=home.community,
                          offer_id=offer.id, offer_title=offer.title, merchant=merchant.code,
                          merchant_name=merchant.name, points=offer.points,
                          pending_id=pending_id(rid), code=code, reserved_at=now, days=days)
    try:
        await processes()[PROCESS].start(client, rid, inp)
    except Exception as err:
        log.warning("redemption %s: the workflow did not start (%s); voiding the reservation",
                    rid, type(err).__name__)
        release(engine, TransferRequest(
            id=f"{pending_id(rid)}:void", phase="void", pending_id=pending_id(rid),
            kind="redemption", reason="兑换未能开始，积分退回", actor="system",
            at=datetime.now(UTC)), offer.id)
        row = session.get(RedemptionRow, rid)
        if row is not None:
            row.status, row.ended_at = "voided", datetime.now(UTC)
            session.commit()
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the redemption could not be started; nothing was reserved") from err
    return RedemptionOut(id=rid, workflow_id=workflow_id(rid), code=code, status="reserved",
                         resident=user.username, offer_id=offer.id,
                         merchant=MerchantRef(code=merchant.code, name=merchant.name),
                         points=offer.points, reserved_at=now, expires_at=expires)


@router.get("/redemptions", response_model=list[RedemptionOut], responses=responses(401, 403))
def list_redemptions(user: CurrentUser, session: SessionDep) -> list[RedemptionOut]:
    """A resident's own redemptions (with their codes), a merchant's, or all (auditor,
    admin); the latest 200."""
    query = select(RedemptionRow)
    if user.role == CITIZEN:
        query = query.where(RedemptionRow.resident == user.username)
    elif user.role == MERCHANT:
        query = query.where(RedemptionRow.merchant == merchant_of(session, user).code)
    elif user.role not in (AUDITOR, ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "redemptions are shown to residents, "
                            "merchants, auditors and administrators")
    rows = session.exec(query.order_by(col(RedemptionRow.reserved_at).desc(),
                                       col(RedemptionRow.id)).limit(LIST_LIMIT)).all()
    names = {m.code: m.name for m in session.exec(select(MerchantRow)).all()}
    return [redemption_out(r, names, show_code=r.resident == user.username and r.status ==
                           "reserved") for r in rows]


@router.post("/redemptions/{code}/confirm", response_model=RedemptionOut,
             responses=responses(401, 403, 404, 409, 503))
async def confirm(code: Code, user: CurrentUser, session: SessionDep,
                  client: TemporalDep) -> RedemptionOut:
    """核销: the offer's merchant confirms the resident's code; the points are posted to it.
    A code of another merchant: 403; used, cancelled or expired: 409."""
    merchant = merchant_of(session, user)
    row = by_code(session, code)
    if row.merchant != merchant.code:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this code is for another merchant")
    session.close()
    state = await send_update(client, row.workflow_id, "confirm",
                              ConfirmRequest(actor=actor_of(user)), RedemptionState)
    return state_out(state, show_code=True)


@router.post("/redemptions/{code}/cancel", response_model=RedemptionOut,
             responses=responses(401, 403, 404, 409, 503))
async def cancel(code: Code, user: CurrentUser, session: SessionDep,
                 client: TemporalDep) -> RedemptionOut:
    """The resident cancels a redemption not yet confirmed: the points and the unit return."""
    row = by_code(session, code)
    if row.resident != user.username:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only its resident may cancel it")
    session.close()
    state = await send_update(client, row.workflow_id, "cancel",
                              CancelRequest(actor=actor_of(user)), RedemptionState)
    return state_out(state, show_code=False)


@router.post("/redemptions/{code}/rating", response_model=RedemptionOut,
             responses=responses(401, 403, 404, 409, 422, 503))
async def rate(code: Code, body: RatingIn, user: CurrentUser, session: SessionDep,
               client: TemporalDep) -> RedemptionOut:
    """The resident rates a confirmed redemption, once (1-5 stars)."""
    return await rate_row(by_code(session, code), body, user, session, client)


async def rate_row(row: RedemptionRow, body: RatingIn, user: User, session: Session,
                   client: Client) -> RedemptionOut:
    """Its resident's rating (by code, or by id for a confirmed one whose code is hidden)."""
    if row.resident != user.username:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only its resident may rate it")
    session.close()
    state = await send_update(client, row.workflow_id, "rate",
                              RateRequest(actor=actor_of(user), stars=body.stars),
                              RedemptionState)
    return state_out(state, show_code=False)
