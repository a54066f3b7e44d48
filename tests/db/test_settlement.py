"""The monthly settlement's database steps on SQLite and PostgreSQL: every step run twice
writes nothing the second time; the approved statements post all or nothing; expiry in
pages gives what one page gives."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from db.engine import get_engine
from db.ledger import close_month, transfer
from db.models import LedgerTransferRow, StatementRow
from db.settlement import compute_statements, expire_all, post_statements, void_stale
from domain.ledger import INSUFFICIENT, LedgerError, TransferRequest, account_id
from domain.settlement import Resolution, StatementResult, expiry_cutoff
from tests.workflows.settlement_support import Month, fresh_month


def transfers() -> int:
    with get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(LedgerTransferRow)).scalar_one()


def settle(month: str, merchants: list[str], at: datetime) -> None:
    engine = get_engine()
    close_month(engine, month)
    void_stale(engine, at)
    expire_all(engine, month, expiry_cutoff(month, 12), at)
    compute_statements(engine, month, at)
    post_statements(engine, Resolution(month=month, results=[
        StatementResult(merchant=m) for m in merchants], actor="test", at=at))


def test_a_second_run_changes_nothing(database: str) -> None:
    month = Month(fresh_month())
    at = datetime.now(UTC)
    settle(month.month, [month.merchant], at)
    written = transfers()
    held = {a: month.held(a) for a in (month.merchant_account, *(
        account_id("resident", r) for r in month.residents))}
    settle(month.month, [month.merchant], at)  # the workflow's activities, retried
    assert transfers() == written
    assert {a: month.held(a) for a in held} == held
    again = post_statements(get_engine(), Resolution(
        month=month.month, results=[StatementResult(merchant=month.merchant)],
        actor="test", at=at))
    assert again.repeated and (again.statements, again.points) == (1, 30)
    assert len(compute_statements(get_engine(), month.month, at)) == 1


def test_statements_post_all_or_nothing(database: str) -> None:
    name = fresh_month()
    # The good statement posts first (by merchant code), so the refusal must undo it.
    good, short = sorted((Month(name), Month(name)), key=lambda m: m.merchant)
    at = datetime.now(UTC)
    engine = get_engine()
    close_month(engine, name)
    statements = compute_statements(engine, name, at)
    assert {s.merchant for s in statements} == {good.merchant, short.merchant}
    # An admin correction took the short merchant's points meanwhile: it cannot be settled.
    transfer(engine, TransferRequest(
        id=f"fix:{short.merchant}", debit=short.merchant_account, credit=short.issuance,
        amount=5, kind="reversal", reason="更正", actor="admin", at=at))
    before = transfers()
    with pytest.raises(LedgerError) as refused:
        post_statements(engine, Resolution(month=name, results=[
            StatementResult(merchant=good.merchant), StatementResult(merchant=short.merchant)],
            actor="test", at=at))
    assert refused.value.kind == INSUFFICIENT
    assert transfers() == before  # not even the good merchant's
    assert good.held(good.merchant_account) == 30
    with Session(engine) as session:
        rows = session.exec(select(StatementRow).where(StatementRow.month == name)).all()
        assert {r[0].status for r in rows} == {"review"}


def test_expiry_in_pages_expires_the_same(database: str) -> None:
    month = Month(fresh_month())
    engine = get_engine()
    at = datetime.now(UTC)
    void_stale(engine, at)
    done = expire_all(engine, month.month, expiry_cutoff(month.month, 12), at, page=1)
    a, b = (account_id("resident", r) for r in month.residents)
    assert (month.held(a), month.held(b)) == (8, 5)  # 20 and 50 old points expired
    assert done.points >= 70
    assert expire_all(engine, month.month, expiry_cutoff(month.month, 12), at).points == 0
