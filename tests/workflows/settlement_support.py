"""A month of 德分宝 activity to settle, built on the real ledger in a month no other test
uses: a community of its own with two residents (display names), one merchant with an offer,
confirmed redemptions dated in the month, one reservation left stale, and old points that
outlive their life by the month's end."""

import asyncio
import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session
from temporalio.client import Client, WorkflowHandle

from activities.settlement import settlement_policy
from config import get_settings
from db.engine import get_engine
from db.ledger import balance, open_account, reserve, transfer
from db.models import MerchantRow, OfferRow, RedemptionRow, User
from domain.ledger import TransferRequest, account_id
from domain.redemption import pending_id
from domain.roles import ADMIN, FINANCE_OFFICER, MERCHANT
from domain.settlement import (
    SettlementInput,
    month_start,
    statement_workflow_id,
    workflow_id_for,
)
from domain.tasks import Actor, Task, TaskAction
from workflows.settlement import MonthlySettlementWorkflow, StatementReviewWorkflow

_MONTHS = itertools.count(uuid.uuid4().int % 24)  # the session's months follow each other


def fresh_month() -> str:
    """A month of 2011-2019 no other test of this session uses (the database is new)."""
    n = next(_MONTHS)
    assert n < 108, "out of past months for settlement tests"
    return f"{2011 + n // 12}-{n % 12 + 1:02d}"


class Month:
    """The month's data. Residents hold 50 old points (13 months before the month) and earn
    8 in it; each of the three redemptions takes 10 (so 20 of the old points are spent and
    30 expire first in first out); one more reservation of 10 is never confirmed."""

    def __init__(self, month: str, redemptions: int = 3, rate: float = 0.05) -> None:
        self.month = month
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        self.community = f"c{tag}"
        self.merchant = f"m{tag}"
        self.merchant_account = account_id("merchant", self.merchant)
        self.issuance = account_id("issuance", self.community)
        self.residents = [f"r{tag}a", f"r{tag}b"]
        self.names = {self.residents[0]: f"张{tag[:3]}", self.residents[1]: f"李{tag[:3]}"}
        self.offer = f"o{tag}"
        start = month_start(month)
        self.day = start + timedelta(days=3)
        engine = get_engine()
        with Session(engine) as session:
            for username in self.residents:
                session.add(User(username=username, display_name=self.names[username],
                                 role="citizen", password_hash="x"))
            session.add(MerchantRow(code=self.merchant, name=f"理发店{tag[:4]}",
                                    community=self.community, category="barber", rate=rate,
                                    account=self.merchant_account))
            session.add(OfferRow(id=self.offer, merchant=self.merchant, title="理发一次",
                                 kind="service", points=10, stock=10,
                                 valid_until=date(2099, 12, 31), created_at=start))
            session.commit()
        open_account(engine, self.issuance, "issuance", self.community, self.community)
        open_account(engine, self.merchant_account, "merchant", self.merchant, self.community)
        old = start - timedelta(days=400)
        for i, username in enumerate(self.residents):
            mine = account_id("resident", username)
            open_account(engine, mine, "resident", username, self.community)
            self._give(f"opening:{tag}:{i}", mine, 50, "opening", old)
            self._give(f"deed:{tag}:{i}", mine, 8 - i * 3, "deed", self.day)
        self.lines = [self.redeem(self.residents[0], confirm=True) for _ in range(redemptions)]
        self.stale = self.redeem(self.residents[1], confirm=False)

    def _give(self, tid: str, to: str, points: int, kind: str, at: datetime) -> None:
        transfer(get_engine(), TransferRequest(
            id=tid, debit=self.issuance, credit=to, amount=points, kind=kind,  # type: ignore[arg-type]
            reason="测试", actor="test", at=at))

    def redeem(self, resident: str, confirm: bool) -> str:
        rid = uuid.uuid4().hex[:12]
        engine = get_engine()
        at = self.day + timedelta(hours=1)
        reserve(engine, TransferRequest(
            id=pending_id(rid), phase="pending", debit=account_id("resident", resident),
            credit=self.merchant_account, amount=10, kind="redemption", reason="兑换",
            actor=resident, at=at), self.offer)
        if confirm:
            transfer(engine, TransferRequest(
                id=f"{pending_id(rid)}:post", phase="post", pending_id=pending_id(rid),
                kind="redemption", reason="核销", actor=f"merchant_{self.merchant}",
                at=at + timedelta(hours=1)))
        with Session(engine) as session:
            session.add(RedemptionRow(
                id=rid, workflow_id=f"redemption-{rid}", code=rid[:8].upper(),
                status="confirmed" if confirm else "reserved", resident=resident,
                community=self.community, offer_id=self.offer, merchant=self.merchant,
                points=10, reserved_at=at, expires_at=at + timedelta(days=7),
                confirmed_at=at + timedelta(hours=1) if confirm else None))
            session.commit()
        return rid

    @property
    def finance(self) -> Actor:
        return Actor(username=f"finance_{self.community}", role=FINANCE_OFFICER,
                     department=self.community)

    @property
    def shop(self) -> Actor:
        return Actor(username=f"merchant_{self.merchant}", role=MERCHANT,
                     department=self.merchant)

    admin = Actor(username="admin", role=ADMIN)

    def held(self, aid: str) -> int:
        with get_engine().connect() as conn:
            found = balance(conn, aid)
        return found.posted if found else 0

    def stock(self) -> int:
        with Session(get_engine()) as session:
            row = session.get(OfferRow, self.offer)
            assert row is not None
            return row.stock

    async def start(self, client: Client, **policy: Any) -> WorkflowHandle:
        inp = SettlementInput(month=self.month, started_by="admin",
                              policy=settlement_policy().model_copy(update=policy))
        return await client.start_workflow(
            MonthlySettlementWorkflow.run, inp, id=workflow_id_for(self.month),
            task_queue=get_settings().task_queue)

    def review(self, client: Client) -> WorkflowHandle:
        return client.get_workflow_handle(statement_workflow_id(self.month, self.merchant))


async def open_task(handle: WorkflowHandle, step: str, tries: int = 400) -> Task:
    """The statement's open `step` task, once its review workflow has opened it."""
    for _ in range(tries):
        try:
            found = [t for t in await handle.query(StatementReviewWorkflow.tasks)
                     if t.status == "open" and t.step_code == step]
        except Exception:  # noqa: BLE001  (the child is not started yet)
            found = []
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {step} task on {handle.id}")


async def act(handle: WorkflowHandle, step: str, actor: Actor, decision: str,
              comment: str | None = None, **data: Any) -> dict:
    task = await open_task(handle, step)
    result = await handle.execute_update(StatementReviewWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=actor))
    return result.model_dump()["case"]


def now() -> datetime:
    return datetime.now(UTC)
