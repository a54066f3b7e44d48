"""Writing the points ledger (domain/ledger.py): one transfer per database transaction.

Every rule that must hold whatever runs at the same time is enforced by the transaction, not
by a check-then-write in Python:
- a restricted account never goes below zero: its totals move in one conditional UPDATE that
  matches no row when the balance does not cover the amount (a row lock on PostgreSQL; SQLite
  has a single writer);
- a transfer id is written once: the primary key; a retry with the same fields answers as the
  first did, with other fields it is refused;
- a pending transfer is resolved once: a unique index on `pending_id`;
- a closed month takes no transfers: the month's row is read under a share lock that closing
  the month (an UPDATE) waits for;
- transfers are never updated or deleted: triggers (migration 0008).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from db.models import LedgerAccountRow, LedgerMonthRow, LedgerTransferRow, OfferRow
from domain.ledger import (
    AWARD_KINDS,
    CLOSED_MONTH,
    EXISTS_DIFFERENT,
    INSUFFICIENT,
    NEGATIVE_ALLOWED,
    RESOLVED,
    UNKNOWN,
    AccountKind,
    Award,
    Balance,
    Caps,
    LedgerError,
    Transfer,
    TransferRequest,
)
from domain.timefmt import SHANGHAI

ACCOUNT = LedgerAccountRow.__table__
TRANSFER = LedgerTransferRow.__table__
MONTH = LedgerMonthRow.__table__
OFFER = OfferRow.__table__
SAME = ("phase", "debit", "credit", "amount", "pending_id", "kind")  # what a retry must repeat


def month_of(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m")


def open_account(engine: Engine, account_id: str, kind: AccountKind, owner: str,
                 community: str | None = None) -> None:
    """Create the account unless it exists (idempotent)."""
    values = {"id": account_id, "kind": kind, "owner": owner, "community": community,
              "negative_allowed": kind in NEGATIVE_ALLOWED, "debits_posted": 0,
              "credits_posted": 0, "debits_pending": 0, "credits_pending": 0,
              "created_at": datetime.now(UTC)}
    with engine.begin() as conn:
        conn.execute(_insert(conn, ACCOUNT).values(**values).on_conflict_do_nothing())


def transfer(engine: Engine, req: TransferRequest) -> Transfer:
    """Write one transfer, or answer as the first write of the same id did."""
    return _once(engine, req, lambda conn: write_transfer(conn, req))


def _once(engine: Engine, req: TransferRequest,
          write: Callable[[Connection], Transfer]) -> Transfer:
    """Run `write` in one transaction; a retry of a transfer written before (its id taken,
    or its month closed since) answers with the first, if it asked for the same."""
    try:
        with engine.begin() as conn:
            return write(conn)
    except LedgerError as err:  # a retry of a transfer whose month was closed meanwhile
        with engine.connect() as conn:
            first = _read(conn, req.id)
        if err.kind == CLOSED_MONTH and first is not None and _repeats(first, req):
            return first
        raise
    except IntegrityError:
        # The id was written before (a retry), or the pending transfer was resolved already.
        with engine.connect() as conn:
            same = _read(conn, req.id)
        if same is None and req.pending_id:
            raise LedgerError(RESOLVED, f"pending transfer {req.pending_id} was posted or "
                              "voided already") from None
        if same is None:
            raise
        if not _repeats(same, req):
            raise LedgerError(EXISTS_DIFFERENT, f"transfer {req.id} exists with other "
                              "fields") from None
        return same


def open_month(conn: Connection, month: str) -> None:
    """Make sure `month` takes transfers until this transaction ends: closing it (an UPDATE)
    waits for the share lock taken here. The first statement writes, so SQLite takes its
    write lock before anything is read."""
    conn.execute(_insert(conn, MONTH).values(month=month, closed_at=None)
                 .on_conflict_do_nothing())
    closed = select(MONTH.c.closed_at).where(MONTH.c.month == month)
    if conn.dialect.name == "postgresql":
        closed = closed.with_for_update(read=True)
    if conn.execute(closed).scalar() is not None:
        raise LedgerError(CLOSED_MONTH, f"month {month} is closed: it takes no transfers")


def write_transfer(conn: Connection, req: TransferRequest) -> Transfer:
    """Write one transfer inside the caller's transaction (see `transfer`)."""
    month = month_of(req.at)
    open_month(conn, month)
    debit, credit, amount = req.debit, req.credit, req.amount
    if req.phase in ("post", "void"):
        pending = _read(conn, req.pending_id or "")
        if pending is None or pending.phase != "pending":
            raise LedgerError(UNKNOWN, f"no pending transfer {req.pending_id}")
        debit, credit, amount = pending.debit, pending.credit, pending.amount
    elif not (debit and credit and amount > 0 and debit != credit):
        raise LedgerError(UNKNOWN, "a transfer needs two different accounts and points > 0")
    row = {"id": req.id, "phase": req.phase, "debit": debit, "credit": credit,
           "amount": amount, "pending_id": req.pending_id if req.phase in ("post", "void")
           else None, "kind": req.kind, "reason": req.reason, "actor": req.actor,
           "at": req.at.astimezone(UTC), "month": month}
    conn.execute(TRANSFER.insert().values(**row))  # a used id or resolved pending: Integrity
    _move(conn, req.phase, debit, credit, amount)
    return Transfer.model_validate(row)


def reserve(engine: Engine, req: TransferRequest, offer_id: str) -> Transfer:
    """A redemption's reservation: one unit of the offer's stock and the pending transfer
    `req`, in one transaction. The unit is taken by a conditional UPDATE (stock left, offer
    still valid on the Asia/Shanghai day of `req.at`), which also locks the offer's row first;
    no stock or no balance: LedgerError(INSUFFICIENT) and nothing is written. A retry of the
    same id answers as the first did and takes no second unit."""
    if req.phase != "pending":
        raise LedgerError(UNKNOWN, "a reservation is a pending transfer")
    today = req.at.astimezone(SHANGHAI).date()
    o = OFFER.c

    def write(conn: Connection) -> Transfer:
        taken = conn.execute(update(OFFER).where(
            o.id == offer_id, o.stock > 0, o.valid_until >= today)
            .values(stock=o.stock - 1))
        if taken.rowcount != 1:
            first = _read(conn, req.id)
            if first is not None and _repeats(first, req):
                return first  # a retry: its unit was taken then
            if conn.execute(select(o.id).where(o.id == offer_id)).first() is None:
                raise LedgerError(UNKNOWN, f"no offer {offer_id}")
            raise LedgerError(INSUFFICIENT, f"offer {offer_id} has no stock left or is no "
                              "longer valid")
        return write_transfer(conn, req)

    return _once(engine, req, write)


def release(engine: Engine, req: TransferRequest, offer_id: str) -> Transfer:
    """Void a reservation (`req`: phase void) and give its unit back to the offer, in one
    transaction (the offer's row first, as `reserve` locks it). A retry answers as the first
    void did and gives nothing back twice."""
    if req.phase != "void":
        raise LedgerError(UNKNOWN, "a release is a void")

    def write(conn: Connection) -> Transfer:
        conn.execute(update(OFFER).where(OFFER.c.id == offer_id)
                     .values(stock=OFFER.c.stock + 1))
        return write_transfer(conn, req)

    return _once(engine, req, write)


def _move(conn: Connection, phase: str, debit: str, credit: str, amount: int) -> None:
    """Update both accounts' totals; the debit side only if its balance covers the amount."""
    c = ACCOUNT.c
    covered = or_(c.negative_allowed.is_(True),
                  c.credits_posted - c.debits_posted - c.debits_pending >= amount)
    if phase == "posted":
        out = {"debits_posted": c.debits_posted + amount}
        into = {"credits_posted": c.credits_posted + amount}
    elif phase == "pending":
        out = {"debits_pending": c.debits_pending + amount}
        into = {"credits_pending": c.credits_pending + amount}
    elif phase == "post":  # the reserved points were counted already: no balance check
        covered = text("1 = 1")
        out = {"debits_pending": c.debits_pending - amount,
               "debits_posted": c.debits_posted + amount}
        into = {"credits_pending": c.credits_pending - amount,
                "credits_posted": c.credits_posted + amount}
    else:  # void
        covered = text("1 = 1")
        out = {"debits_pending": c.debits_pending - amount}
        into = {"credits_pending": c.credits_pending - amount}
    moved = conn.execute(update(ACCOUNT).where(and_(c.id == debit, covered)).values(**out))
    if moved.rowcount != 1:
        exists = conn.execute(select(c.id).where(c.id == debit)).first()
        if exists is None:
            raise LedgerError(UNKNOWN, f"no account {debit}")
        raise LedgerError(INSUFFICIENT, f"account {debit} does not have {amount} points "
                          "available")
    if conn.execute(update(ACCOUNT).where(c.id == credit).values(**into)).rowcount != 1:
        raise LedgerError(UNKNOWN, f"no account {credit}")


def award(engine: Engine, req: TransferRequest, caps: Caps) -> Award:
    """Points from the issuance account to a resident (`req.credit`), as many as fit under
    the caps. The resident's account is locked first, so two awards at once never both fit
    into the same room; a retried award answers with what the first gave."""
    try:
        with engine.begin() as conn:
            return _award(conn, req, caps)
    except IntegrityError:  # the same id, written meanwhile
        with engine.connect() as conn:
            first = _read(conn, req.id)
        if first is None:
            raise
        return Award(transfer=first, asked=req.amount, given=first.amount, repeated=True)


def _award(conn: Connection, req: TransferRequest, caps: Caps) -> Award:
    c = ACCOUNT.c
    lock = update(ACCOUNT).where(c.id == req.credit).values(id=c.id)  # a write: the row lock
    if conn.execute(lock).rowcount != 1:
        raise LedgerError(UNKNOWN, f"no account {req.credit}")
    first = _read(conn, req.id)
    if first is not None:
        if (first.debit, first.credit, first.kind) != (req.debit, req.credit, req.kind):
            raise LedgerError(EXISTS_DIFFERENT, f"transfer {req.id} exists with other fields")
        return Award(transfer=first, asked=req.amount, given=first.amount, repeated=True)
    local = req.at.astimezone(SHANGHAI)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    t = TRANSFER.c
    earned = select(func.coalesce(func.sum(t.amount), 0)).where(
        t.credit == req.credit, t.phase == "posted", t.kind.in_(AWARD_KINDS))
    today = conn.execute(earned.where(t.at >= day.astimezone(UTC),
                                      t.at < (day + timedelta(days=1)).astimezone(UTC))).scalar()
    this_month = conn.execute(earned.where(t.at >= month.astimezone(UTC))).scalar()
    held = balance(conn, req.credit)
    assert held is not None
    rooms = {"per_day": caps.per_day - today, "per_month": caps.per_month - this_month,
             "balance": caps.balance - held.posted}
    given = max(0, min(req.amount, *rooms.values()))
    capped = next((name for name, room in rooms.items() if room < req.amount), None)
    if given == 0:
        return Award(transfer=None, asked=req.amount, given=0, capped_by=capped)
    done = write_transfer(conn, req.model_copy(update={"amount": given}))
    return Award(transfer=done, asked=req.amount, given=given,
                 capped_by=capped if given < req.amount else None)


def expiring(conn: Connection, community: str, cutoff: datetime) -> list[tuple[str, int]]:
    """Residents' points that outlived their life, first in first out: what a resident was
    given before `cutoff` and has not spent (or reserved, or had expired) since, since every
    point going out takes the oldest first. One set-based query for the whole community."""
    rows = conn.execute(text("""
        SELECT a.id, COALESCE(SUM(t.amount), 0) - a.debits_posted - a.debits_pending AS left
        FROM ledger_account a
        LEFT JOIN ledger_transfer t
          ON t.credit = a.id AND t.phase IN ('posted', 'post') AND t.at < :cutoff
        WHERE a.kind = 'resident' AND a.community = :community
        GROUP BY a.id, a.debits_posted, a.debits_pending
        HAVING COALESCE(SUM(t.amount), 0) - a.debits_posted - a.debits_pending > 0
        ORDER BY a.id"""), {"community": community, "cutoff": cutoff.astimezone(UTC)}).all()
    return [(row.id, int(row.left)) for row in rows]


def expire(engine: Engine, community: str, cutoff: datetime, month: str,
           at: datetime) -> list[Transfer]:
    """Move expiring points into the community's expiry account, one transfer per resident
    with the id `expiry:<month>:<account>`. What expired is spent, so running it again
    finds nothing left to expire and writes nothing."""
    sink = f"expiry:{community}"
    open_account(engine, sink, "expiry", community, community)
    with engine.connect() as conn:
        due = expiring(conn, community, cutoff)
    return [transfer(engine, TransferRequest(
        id=f"expiry:{month}:{account}", debit=account, credit=sink, amount=points,
        kind="expiry", reason=f"{month} 结算：超过有效期的积分（先进先出）", actor="system",
        at=at)) for account, points in due]


def close_month(engine: Engine, month: str) -> bool:
    """Close a month (idempotent): True if this call closed it. Waits for transfers being
    written into it, then none can be."""
    with engine.begin() as conn:
        conn.execute(_insert(conn, MONTH).values(month=month, closed_at=None)
                     .on_conflict_do_nothing())
        done = conn.execute(update(MONTH).where(MONTH.c.month == month,
                                                MONTH.c.closed_at.is_(None))
                            .values(closed_at=datetime.now(UTC)))
        return done.rowcount == 1


def balance(conn: Connection, account_id: str) -> Balance | None:
    row = conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == account_id)).first()
    if row is None:
        return None
    posted = row.credits_posted - row.debits_posted
    return Balance(account=row.id, kind=row.kind, posted=posted, pending=row.debits_pending,
                   available=posted - row.debits_pending)


def _read(conn: Connection, transfer_id: str) -> Transfer | None:
    row = conn.execute(select(TRANSFER).where(TRANSFER.c.id == transfer_id)).first()
    return Transfer.model_validate(row._asdict()) if row else None


def _repeats(first: Transfer, req: TransferRequest) -> bool:
    """A retry repeats what it asks for; the accounts and amount of a post or void come from
    the pending transfer, so only its id must match."""
    if req.phase in ("post", "void"):
        return (first.phase, first.pending_id, first.kind) == (req.phase, req.pending_id,
                                                                req.kind)
    asked = {"phase": req.phase, "debit": req.debit, "credit": req.credit,
             "amount": req.amount, "pending_id": None, "kind": req.kind}
    return all(getattr(first, k) == asked[k] for k in SAME)


def _insert(conn: Connection, table):  # noqa: ANN001, ANN202  (a dialect's INSERT ... ON CONFLICT)
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
