"""德分宝 redemptions on the time-skipping server, with the real worker and database: the
expiry voids the reservation and gives the unit and the points back; the offer's merchant
confirms (posts), another merchant is refused with nothing in the history; the resident
cancels; the resident rates once, only after the confirmation."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from config import get_settings
from db.engine import get_engine
from db.ledger import balance, open_account, reserve, transfer
from db.models import LedgerTransferRow, OfferRow, RedemptionRow
from domain.ledger import TransferRequest, account_id
from domain.redemption import (
    CancelRequest,
    ConfirmRequest,
    RateRequest,
    RedemptionInput,
    pending_id,
    workflow_id,
)
from domain.tasks import CONFLICT, FORBIDDEN, Actor
from tests.support import save_history
from tests.workflows.penalty_support import WORKFLOW_TASK
from workflows.redemption import RedemptionWorkflow

POINTS = 30


class Shop:
    """A fresh resident with 100 points, a merchant and its offer (stock 5)."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        self.resident = f"r{tag}"
        self.merchant = f"m{tag}"
        self.issuance = account_id("issuance", f"c{tag}")
        self.resident_account = account_id("resident", self.resident)
        self.merchant_account = account_id("merchant", self.merchant)
        self.offer_id = f"o{tag}"
        engine = get_engine()
        for kind, aid in (("issuance", self.issuance), ("resident", self.resident_account),
                          ("merchant", self.merchant_account)):
            open_account(engine, aid, kind, aid.split(":")[1], f"c{tag}")  # type: ignore[arg-type]
        transfer(engine, TransferRequest(
            id=f"t:{tag}", debit=self.issuance, credit=self.resident_account, amount=100,
            kind="deed", reason="好事", actor="test", at=datetime.now(UTC)))
        with Session(engine) as session:
            session.add(OfferRow(id=self.offer_id, merchant=self.merchant, title="洗头吹发一次",
                                 kind="service", points=POINTS, stock=5,
                                 valid_until=date.today() + timedelta(days=365)))
            session.commit()

    @property
    def resident_actor(self) -> Actor:
        return Actor(username=self.resident, role="citizen")

    @property
    def merchant_actor(self) -> Actor:
        return Actor(username=f"merchant_{self.merchant}", role="merchant",
                     department=self.merchant)

    def available(self, aid: str | None = None) -> int:
        with get_engine().connect() as conn:
            found = balance(conn, aid or self.resident_account)
            assert found is not None
            return found.available

    def stock(self) -> int:
        with Session(get_engine()) as session:
            row = session.get(OfferRow, self.offer_id)
            assert row is not None
            return row.stock


@pytest.fixture
def shop(database: str) -> Shop:
    return Shop()


async def redeem(env: WorkflowEnvironment, shop: Shop) -> WorkflowHandle:
    rid = uuid.uuid4().hex[:12]
    now = await env.get_current_time()
    reserve(get_engine(), TransferRequest(
        id=pending_id(rid), phase="pending", debit=shop.resident_account,
        credit=shop.merchant_account, amount=POINTS, kind="redemption", reason="兑换",
        actor=shop.resident, at=now), shop.offer_id)
    inp = RedemptionInput(id=rid, resident=shop.resident, community=f"c{shop.tag}",
                          offer_id=shop.offer_id, offer_title="洗头吹发一次",
                          merchant=shop.merchant, merchant_name="测试理发店", points=POINTS,
                          pending_id=pending_id(rid), code="ABCD2345"[:4] + rid[:4].upper(),
                          reserved_at=now, days=get_settings().redemption_days)
    return await env.client.start_workflow(RedemptionWorkflow.run, inp, id=workflow_id(rid),
                                           task_queue=get_settings().task_queue)


async def events(handle: WorkflowHandle) -> int:
    """The events of the history but its workflow tasks (the time-skipping server records
    a rejected Update's; the real server drops it)."""
    history = await handle.fetch_history()
    return sum(1 for e in history.events if e.event_type not in WORKFLOW_TASK)


async def settled(handle: WorkflowHandle) -> int:
    """The history's length once the workflow has finished what it was doing."""
    last = -1
    while (n := await events(handle)) != last:
        last = n
        await handle.query(RedemptionWorkflow.case)  # a round trip to the worker
    return n


async def refused_update(handle: WorkflowHandle, kind: str, update: Any, arg: Any) -> str:
    """The Update is refused by its validator with `kind`, and nothing reaches the history."""
    before = await settled(handle)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == kind, cause
    assert await events(handle) == before
    return cause.message


def row(handle: WorkflowHandle) -> RedemptionRow:
    with Session(get_engine()) as session:
        found = session.get(RedemptionRow, handle.id.removeprefix("redemption-"))
        assert found is not None
        return found


def transfer_ids(handle: WorkflowHandle) -> set[str]:
    prefix = pending_id(handle.id.removeprefix("redemption-"))
    with Session(get_engine()) as session:
        rows = session.query(LedgerTransferRow).filter(
            LedgerTransferRow.id.startswith(prefix)).all()  # type: ignore[attr-defined]
        return {r.id for r in rows}


async def test_an_unconfirmed_redemption_expires_after_7_days(env, shop) -> None:
    handle = await redeem(env, shop)
    assert shop.stock() == 4 and shop.available() == 100 - POINTS
    state = await handle.result()
    assert state.status == "voided" and state.ended_by == "system"
    assert state.expires_at - state.reserved_at == timedelta(days=7)
    assert state.ended_at >= state.expires_at
    assert shop.stock() == 5 and shop.available() == 100
    assert shop.available(shop.merchant_account) == 0
    assert row(handle).status == "voided"
    assert transfer_ids(handle) == {pending_id(state.id), f"{pending_id(state.id)}:void"}
    await save_history(handle, "redemption_expired")


async def test_the_merchant_confirms_and_the_resident_rates_once(env, shop) -> None:
    handle = await redeem(env, shop)
    other = Actor(username="merchant_other", role="merchant", department="other")
    message = await refused_update(handle, FORBIDDEN, RedemptionWorkflow.confirm,
                                   ConfirmRequest(actor=other))
    assert "测试理发店" in message
    await refused_update(handle, FORBIDDEN, RedemptionWorkflow.confirm,
                         ConfirmRequest(actor=shop.resident_actor))
    await refused_update(handle, CONFLICT, RedemptionWorkflow.rate,
                         RateRequest(actor=shop.resident_actor, stars=5))  # not yet confirmed
    state = await handle.execute_update(RedemptionWorkflow.confirm,
                                        ConfirmRequest(actor=shop.merchant_actor))
    assert state.status == "confirmed" and state.confirmed_by == shop.merchant_actor.username
    assert shop.available() == 100 - POINTS and shop.available(shop.merchant_account) == POINTS
    assert shop.stock() == 4
    assert row(handle).status == "confirmed"
    await refused_update(handle, CONFLICT, RedemptionWorkflow.confirm,
                         ConfirmRequest(actor=shop.merchant_actor))  # used
    await refused_update(handle, CONFLICT, RedemptionWorkflow.cancel,
                         CancelRequest(actor=shop.resident_actor))
    await refused_update(handle, FORBIDDEN, RedemptionWorkflow.rate,
                         RateRequest(actor=shop.merchant_actor, stars=5))
    rated = await handle.execute_update(RedemptionWorkflow.rate,
                                        RateRequest(actor=shop.resident_actor, stars=4))
    assert rated.rating == 4
    state = await handle.result()  # rated: nothing is left to wait for
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):  # once (the API: 409)
        await handle.execute_update(RedemptionWorkflow.rate,
                                    RateRequest(actor=shop.resident_actor, stars=5))
    assert state.rating == 4 and row(handle).rating == 4
    assert transfer_ids(handle) == {pending_id(state.id), f"{pending_id(state.id)}:post"}
    await save_history(handle, "redemption_confirmed_rated")


async def test_the_resident_cancels(env, shop) -> None:
    handle = await redeem(env, shop)
    stranger = Actor(username="someone_else", role="citizen")
    await refused_update(handle, FORBIDDEN, RedemptionWorkflow.cancel,
                         CancelRequest(actor=stranger))
    state = await handle.execute_update(RedemptionWorkflow.cancel,
                                        CancelRequest(actor=shop.resident_actor))
    assert state.status == "cancelled" and state.ended_by == shop.resident
    assert shop.stock() == 5 and shop.available() == 100
    state = await handle.result()
    assert state.status == "cancelled" and row(handle).status == "cancelled"
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):  # ended (the API: 409)
        await handle.execute_update(RedemptionWorkflow.confirm,
                                    ConfirmRequest(actor=shop.merchant_actor))
    await save_history(handle, "redemption_cancelled")


async def test_a_confirmed_redemption_unrated_completes_after_the_rating_window(env,
                                                                               shop) -> None:
    handle = await redeem(env, shop)
    await handle.execute_update(RedemptionWorkflow.confirm,
                                ConfirmRequest(actor=shop.merchant_actor))
    state = await handle.result()
    assert state.status == "confirmed" and state.rating is None
