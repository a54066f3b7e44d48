"""The points ledger on the real database (SQLite, or PostgreSQL via DATABASE_URL): what
residents and merchants rely on whatever runs at the same time."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from db.engine import get_engine
from db.ledger import balance, close_month, month_of, open_account, transfer
from db.ledger_check import problems
from db.models import LedgerTransferRow
from domain.ledger import (
    CLOSED_MONTH,
    EXISTS_DIFFERENT,
    INSUFFICIENT,
    RESOLVED,
    LedgerError,
    TransferRequest,
    account_id,
)

NOW = datetime.now(UTC)


@pytest.fixture
def accounts(database: str) -> dict[str, str]:
    """A fresh community: its issuance account, a resident and a merchant."""
    tag = uuid.uuid4().hex[:8]
    engine = get_engine()
    ids = {"issuance": account_id("issuance", f"c{tag}"),
           "resident": account_id("resident", f"r{tag}"),
           "merchant": account_id("merchant", f"m{tag}")}
    for kind, aid in ids.items():
        open_account(engine, aid, kind, aid.split(":")[1], community=f"c{tag}")  # type: ignore[arg-type]
    open_account(engine, ids["resident"], "resident", "again")  # opening twice is harmless
    return ids


def req(tid: str, debit: str | None, credit: str | None, amount: int, **kw) -> TransferRequest:
    return TransferRequest(id=tid, debit=debit, credit=credit, amount=amount,
                           kind=kw.pop("kind", "checkin"), reason=kw.pop("reason", "签到"),
                           actor="test", at=kw.pop("at", NOW), **kw)


def available(aid: str) -> int:
    with get_engine().connect() as conn:
        found = balance(conn, aid)
        assert found is not None
        return found.available


def transfers() -> int:
    with get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(LedgerTransferRow)).scalar_one()


def test_a_retry_is_accepted_once_and_a_conflicting_one_refused(accounts) -> None:
    engine = get_engine()
    tid = f"checkin:{uuid.uuid4().hex}"
    first = transfer(engine, req(tid, accounts["issuance"], accounts["resident"], 1))
    before = transfers()
    again = transfer(engine, req(tid, accounts["issuance"], accounts["resident"], 1))
    assert again == first and transfers() == before
    assert available(accounts["resident"]) == 1
    assert available(accounts["issuance"]) == -1  # points come from there: it may go negative
    with pytest.raises(LedgerError) as err:
        transfer(engine, req(tid, accounts["issuance"], accounts["resident"], 2))
    assert err.value.kind == EXISTS_DIFFERENT and transfers() == before


def test_a_resident_never_goes_below_zero(accounts) -> None:
    engine = get_engine()
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"], 5))
    before = transfers()
    with pytest.raises(LedgerError) as err:
        transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["resident"],
                             accounts["merchant"], 6, kind="redemption"))
    assert err.value.kind == INSUFFICIENT
    assert transfers() == before and available(accounts["resident"]) == 5  # nothing written


def test_concurrent_redemptions_never_overdraw(accounts) -> None:
    """100 reservations of 30 points at once against 300: exactly 10 succeed and post."""
    engine = get_engine()
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"],
                         300, kind="deed"))

    def redeem(n: int) -> bool:
        pending = f"redeem:{uuid.uuid4().hex}:{n}"
        try:
            transfer(engine, req(pending, accounts["resident"], accounts["merchant"], 30,
                                 kind="redemption", phase="pending"))
        except LedgerError as err:
            assert err.kind == INSUFFICIENT
            return False
        transfer(engine, TransferRequest(id=f"{pending}:post", phase="post", pending_id=pending,
                                         kind="redemption", reason="核销", actor="merchant",
                                         at=NOW))
        return True

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(redeem, range(100)))
    assert sum(results) == 10
    assert available(accounts["resident"]) == 0
    assert available(accounts["merchant"]) == 300


def test_a_reservation_is_posted_or_voided_exactly_once(accounts) -> None:
    engine = get_engine()
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"], 50))
    pending = f"redeem:{uuid.uuid4().hex}"
    transfer(engine, req(pending, accounts["resident"], accounts["merchant"], 20,
                         kind="redemption", phase="pending"))
    assert available(accounts["resident"]) == 30  # reserved, not spent
    with get_engine().connect() as conn:
        assert balance(conn, accounts["resident"]).posted == 50
    void = TransferRequest(id=f"{pending}:void", phase="void", pending_id=pending,
                           kind="redemption", reason="过期作废", actor="system", at=NOW)
    transfer(engine, void)
    assert transfer(engine, void).phase == "void"  # a retried void answers as the first
    assert available(accounts["resident"]) == 50 and available(accounts["merchant"]) == 0
    with pytest.raises(LedgerError) as err:  # posting a voided reservation
        transfer(engine, void.model_copy(update={"id": f"{pending}:post", "phase": "post"}))
    assert err.value.kind == RESOLVED


def test_a_closed_month_refuses_transfers(accounts) -> None:
    engine = get_engine()
    last_month = NOW - timedelta(days=40)
    month = month_of(last_month)
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"], 1,
                         at=last_month))
    close_month(engine, month)
    assert close_month(engine, month) is False  # a second close changes nothing
    with pytest.raises(LedgerError) as err:
        transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"],
                             accounts["resident"], 1, at=last_month))
    assert err.value.kind == CLOSED_MONTH
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"], 1))


def test_transfers_cannot_be_updated_or_deleted(accounts) -> None:
    engine = get_engine()
    tid = f"t:{uuid.uuid4().hex}"
    transfer(engine, req(tid, accounts["issuance"], accounts["resident"], 3))
    for sql in ("UPDATE ledger_transfer SET amount = 300 WHERE id = :id",
                "DELETE FROM ledger_transfer WHERE id = :id"):
        with pytest.raises(DatabaseError, match="immutable"), engine.begin() as conn:
            conn.execute(text(sql), {"id": tid})
    assert available(accounts["resident"]) == 3


def test_the_check_finds_a_tampered_balance(accounts) -> None:
    """ledger-check is no rubber stamp: a total that disagrees with its transfers is named."""
    engine = get_engine()
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"], 4))
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_account SET credits_posted = credits_posted + 1 "
                          "WHERE id = :id"), {"id": accounts["resident"]})
    try:
        found = problems(engine)
        assert any("sum of its transfers" in p and accounts["resident"] in p for p in found)
        assert any("debits equal credits" in p for p in found)
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE ledger_account SET credits_posted = credits_posted - 1 "
                              "WHERE id = :id"), {"id": accounts["resident"]})


def test_awards_post_what_fits_under_the_caps_even_at_once(accounts) -> None:
    """20 awards of 10 points at once with a daily cap of 50: 50 points, never more."""
    from db.ledger import award
    from domain.ledger import Caps

    engine = get_engine()
    caps = Caps(per_day=50, per_month=500, balance=1500)

    def deed(n: int) -> int:
        return award(engine, req(f"deed:{uuid.uuid4().hex}:{n}", accounts["issuance"],
                                 accounts["resident"], 10, kind="deed"), caps).given

    with ThreadPoolExecutor(max_workers=20) as pool:
        given = list(pool.map(deed, range(20)))
    assert sum(given) == 50 and available(accounts["resident"]) == 50
    done = award(engine, req("deed:late", accounts["issuance"], accounts["resident"], 10,
                             kind="deed"), caps)
    assert (done.given, done.capped_by, done.transfer) == (0, "per_day", None)

    tid = f"deed:{uuid.uuid4().hex}"  # tomorrow the day has room; the balance cap bites
    tomorrow = NOW + timedelta(days=1)
    small = Caps(per_day=50, per_month=500, balance=55)
    first = award(engine, req(tid, accounts["issuance"], accounts["resident"], 10,
                              kind="deed", at=tomorrow), small)
    assert (first.given, first.capped_by) == (5, "balance")
    again = award(engine, req(tid, accounts["issuance"], accounts["resident"], 10,
                              kind="deed", at=tomorrow), small)
    assert again.repeated and again.given == 5 and available(accounts["resident"]) == 55


def test_points_expire_first_in_first_out(accounts) -> None:
    """100 points given two years ago, 30 spent since, 20 given last week: 70 expire, once."""
    from db.ledger import expire

    engine = get_engine()
    old, recent = NOW - timedelta(days=730), NOW - timedelta(days=7)
    community = accounts["issuance"].split(":")[1]
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"],
                         100, kind="deed", at=old))
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["resident"], accounts["merchant"],
                         30, kind="redemption", at=recent))
    transfer(engine, req(f"t:{uuid.uuid4().hex}", accounts["issuance"], accounts["resident"],
                         20, kind="deed", at=recent))
    cutoff = NOW - timedelta(days=365)
    done = expire(engine, community, cutoff, "2026-11", NOW)
    assert [(t.debit, t.amount) for t in done] == [(accounts["resident"], 70)]
    assert available(accounts["resident"]) == 20
    assert available(f"expiry:{community}") == 70
    assert expire(engine, community, cutoff, "2026-11", NOW) == []  # a rerun writes nothing
    assert expire(engine, community, cutoff, "2026-12", NOW) == []  # nothing old is left
    assert available(accounts["resident"]) == 20
