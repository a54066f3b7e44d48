"""Reservations for redemptions on the real database (SQLite, or PostgreSQL via
DATABASE_URL): one unit of stock and the pending transfer in one transaction, whatever runs at
the same time; a void gives the unit back."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from db.engine import get_engine
from db.ledger import balance, open_account, release, reserve, transfer
from db.models import OfferRow
from domain.ledger import INSUFFICIENT, RESOLVED, LedgerError, TransferRequest, account_id

NOW = datetime.now(UTC)


@pytest.fixture
def shop(database: str) -> dict[str, str]:
    """A fresh community, a resident and a merchant."""
    tag = uuid.uuid4().hex[:8]
    engine = get_engine()
    ids = {"issuance": account_id("issuance", f"c{tag}"),
           "resident": account_id("resident", f"r{tag}"),
           "merchant": account_id("merchant", f"m{tag}")}
    for kind, aid in ids.items():
        open_account(engine, aid, kind, aid.split(":")[1], community=f"c{tag}")  # type: ignore[arg-type]
    return ids | {"tag": tag}


def offer(shop: dict[str, str], stock: int, valid_until: date | None = None) -> str:
    offer_id = f"o{uuid.uuid4().hex[:12]}"
    with Session(get_engine()) as session:
        session.add(OfferRow(id=offer_id, merchant=f"m{shop['tag']}", title="测试商品",
                             kind="goods", points=30, stock=stock,
                             valid_until=valid_until or date.today() + timedelta(days=30)))
        session.commit()
    return offer_id


def fund(shop: dict[str, str], points: int) -> None:
    transfer(get_engine(), TransferRequest(
        id=f"t:{uuid.uuid4().hex}", debit=shop["issuance"], credit=shop["resident"],
        amount=points, kind="deed", reason="好事", actor="test", at=NOW))


def pending(tid: str, shop: dict[str, str], points: int = 30) -> TransferRequest:
    return TransferRequest(id=tid, phase="pending", debit=shop["resident"],
                           credit=shop["merchant"], amount=points, kind="redemption",
                           reason="兑换", actor="test", at=NOW)


def resolve(tid: str, phase: str) -> TransferRequest:
    return TransferRequest(id=f"{tid}:{phase}", phase=phase, pending_id=tid,  # type: ignore[arg-type]
                           kind="redemption", reason="核销" if phase == "post" else "取消",
                           actor="test", at=NOW)


def stock_of(offer_id: str) -> int:
    with Session(get_engine()) as session:
        row = session.get(OfferRow, offer_id)
        assert row is not None
        return row.stock


def available(aid: str) -> int:
    with get_engine().connect() as conn:
        found = balance(conn, aid)
        assert found is not None
        return found.available


def attempt(shop: dict[str, str], offer_id: str, n: int, post: bool = True) -> bool:
    tid = f"redemption:{uuid.uuid4().hex}:{n}"
    try:
        reserve(get_engine(), pending(tid, shop), offer_id)
    except LedgerError as err:
        assert err.kind == INSUFFICIENT
        return False
    if post:
        transfer(get_engine(), resolve(tid, "post"))
    return True


def test_concurrent_reservations_never_overdraw(shop) -> None:
    """100 reservations of 30 points at once against 300 and plenty of stock: exactly 10."""
    fund(shop, 300)
    offer_id = offer(shop, 1000)
    with ThreadPoolExecutor(max_workers=32) as pool:
        done = list(pool.map(lambda n: attempt(shop, offer_id, n), range(100)))
    assert sum(done) == 10
    assert stock_of(offer_id) == 990
    assert available(shop["resident"]) == 0 and available(shop["merchant"]) == 300


def test_concurrent_reservations_take_only_the_stock(shop) -> None:
    """Stock 3, 20 reservations at once, points for all: exactly 3, nothing else written."""
    fund(shop, 600)
    offer_id = offer(shop, 3)
    with ThreadPoolExecutor(max_workers=20) as pool:
        done = list(pool.map(lambda n: attempt(shop, offer_id, n, post=False), range(20)))
    assert sum(done) == 3
    assert stock_of(offer_id) == 0
    with get_engine().connect() as conn:
        held = balance(conn, shop["resident"])
    assert held is not None and held.pending == 90 and held.available == 510


def test_a_void_returns_the_unit_once_and_a_retry_takes_no_second(shop) -> None:
    engine = get_engine()
    fund(shop, 100)
    offer_id = offer(shop, 2)
    tid = f"redemption:{uuid.uuid4().hex}"
    first = reserve(engine, pending(tid, shop), offer_id)
    assert reserve(engine, pending(tid, shop), offer_id) == first  # a retry
    assert stock_of(offer_id) == 1 and available(shop["resident"]) == 70
    void = release(engine, resolve(tid, "void"), offer_id)
    assert release(engine, resolve(tid, "void"), offer_id) == void  # a retry
    assert stock_of(offer_id) == 2 and available(shop["resident"]) == 100
    with pytest.raises(LedgerError) as err:  # resolved once
        transfer(engine, resolve(tid, "post"))
    assert err.value.kind == RESOLVED


def test_no_balance_or_an_expired_offer_reserves_nothing(shop) -> None:
    engine = get_engine()
    fund(shop, 10)
    offer_id = offer(shop, 5)
    with pytest.raises(LedgerError) as err:
        reserve(engine, pending(f"redemption:{uuid.uuid4().hex}", shop), offer_id)
    assert err.value.kind == INSUFFICIENT
    assert stock_of(offer_id) == 5 and available(shop["resident"]) == 10
    fund(shop, 100)
    old = offer(shop, 5, valid_until=date.today() - timedelta(days=2))
    with pytest.raises(LedgerError) as err:
        reserve(engine, pending(f"redemption:{uuid.uuid4().hex}", shop), old)
    assert err.value.kind == INSUFFICIENT
    assert stock_of(old) == 5 and available(shop["resident"]) == 110
