"""The monthly settlement's database work (domain/settlement.py), set-based wherever a month
of any size passes through: statements are one INSERT ... SELECT, expiry runs in pages of
accounts, each page one transaction, and the approved statements post as one transaction.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.engine import Connection, Engine

from db.ledger import ACCOUNT, TRANSFER, month_of, open_account, open_month, release, write_transfer
from db.models import CreditReportRow, StatementRow
from domain.ledger import LedgerError, TransferRequest, account_id
from domain.redemption import pending_id as redemption_pending_id
from domain.settlement import (
    Expired,
    Posted,
    Resolution,
    Statement,
    amount_text,
    line_transfer_id,
    month_end,
    month_start,
)

STATEMENT = StatementRow.__table__
REPORT = CreditReportRow.__table__

# -- 2. stale reservations -------------------------------------------------------------------


def void_stale(engine: Engine, now: datetime, actor: str = "system") -> int:
    """Void every reservation whose redemption expired before `now` and is still pending, and
    give its unit back. The void's id is the one the redemption's own workflow uses
    (`redemption:<id>:void`), so whichever comes second finds the first's."""
    with engine.connect() as conn:
        stale = conn.execute(text("""
            SELECT r.id, r.offer_id FROM redemption r
            JOIN ledger_transfer p ON p.id = 'redemption:' || r.id AND p.phase = 'pending'
            WHERE r.expires_at < :now
              AND NOT EXISTS (SELECT 1 FROM ledger_transfer x WHERE x.pending_id = p.id)
            ORDER BY r.id"""), {"now": now.astimezone(UTC)}).all()
    done = 0
    for rid, offer_id in stale:
        pending = redemption_pending_id(rid)
        try:
            release(engine, TransferRequest(
                id=f"{pending}:void", phase="void", pending_id=pending, kind="redemption",
                reason="月度结算：兑换码逾期未核销，积分退回", actor=actor, at=now), offer_id)
            done += 1
        except LedgerError:  # confirmed or voided meanwhile by its own workflow
            continue
    return done


# -- 3. expiry, first in first out, in pages of accounts --------------------------------------


def expire_all(engine: Engine, month: str, cutoff: datetime, at: datetime, page: int = 2000,
               progress: Callable[[str], None] | None = None) -> Expired:
    """Expire, for every resident, the points given before `cutoff` that are still held
    (every point going out takes the oldest first), into `expiry:<community>`, as
    `expiry:<month>:<account>`. Each page of accounts is one transaction that locks its
    accounts, so points spent meanwhile are counted; a page done before holds nothing left
    to expire, so a retry writes nothing twice."""
    accounts = points = 0
    after = ""
    while True:
        with engine.begin() as conn:
            open_month(conn, month_of(at))
            ids = select(ACCOUNT.c.id).where(ACCOUNT.c.kind == "resident",
                                             ACCOUNT.c.id > after).order_by(ACCOUNT.c.id)
            ids = ids.limit(page)
            if conn.dialect.name == "postgresql":
                ids = ids.with_for_update()
            page_ids = list(conn.execute(ids).scalars())
            if not page_ids:
                break
            due = conn.execute(text("""
                SELECT a.id, a.community,
                       COALESCE(SUM(t.amount), 0) - a.debits_posted - a.debits_pending AS left_
                FROM ledger_account a
                LEFT JOIN ledger_transfer t
                  ON t.credit = a.id AND t.phase IN ('posted', 'post') AND t.at < :cutoff
                WHERE a.kind = 'resident' AND a.id >= :first AND a.id <= :last
                GROUP BY a.id, a.community, a.debits_posted, a.debits_pending
                HAVING COALESCE(SUM(t.amount), 0) - a.debits_posted - a.debits_pending > 0"""),
                {"cutoff": cutoff.astimezone(UTC), "first": page_ids[0],
                 "last": page_ids[-1]}).all()
            if due:
                _expire_page(conn, month, at, due)
                accounts += len(due)
                points += sum(int(r.left_) for r in due)
            after = page_ids[-1]
        if progress:
            progress(after)
    return Expired(accounts=accounts, points=points)


def _expire_page(conn: Connection, month: str, at: datetime, due: list[Any]) -> None:
    sinks: dict[str, int] = defaultdict(int)
    rows = []
    for r in due:
        community = r.community or "unknown"
        sinks[community] += int(r.left_)
        rows.append({"id": f"expiry:{month}:{r.id}", "phase": "posted", "debit": r.id,
                     "credit": account_id("expiry", community), "amount": int(r.left_),
                     "pending_id": None, "kind": "expiry",
                     "reason": f"{month} 结算：超过有效期的积分（先进先出）", "actor": "system",
                     "at": at.astimezone(UTC), "month": month_of(at)})
    for community in sinks:
        _open_in(conn, account_id("expiry", community), "expiry", community, community)
    conn.execute(TRANSFER.insert(), rows)
    c = ACCOUNT.c
    conn.execute(update(ACCOUNT).where(c.id == bindparam("account"))
                 .values(debits_posted=c.debits_posted + bindparam("points")),
                 [{"account": r["debit"], "points": r["amount"]} for r in rows])
    for community, total in sinks.items():
        conn.execute(update(ACCOUNT).where(c.id == account_id("expiry", community))
                     .values(credits_posted=c.credits_posted + total))


def _open_in(conn: Connection, aid: str, kind: str, owner: str, community: str) -> None:
    if conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.id == aid)).first() is None:
        conn.execute(ACCOUNT.insert().values(
            id=aid, kind=kind, owner=owner, community=community, negative_allowed=False,
            debits_posted=0, credits_posted=0, debits_pending=0, credits_pending=0,
            created_at=datetime.now(UTC)))


# -- 4. statements ------------------------------------------------------------------------

# One statement per merchant with confirmed redemptions in the month: the transfers that
# posted them (`redemption:<id>:post`), dated in the closed month.
TOTALS = """
    SELECT m.code AS merchant, m.name AS merchant_name, m.community AS community,
           COUNT(t.id) AS redemptions, SUM(t.amount) AS points, m.rate AS rate,
           CAST(ROUND(SUM(t.amount) * m.rate * 100) AS INTEGER) AS amount_fen
    FROM ledger_transfer t JOIN merchant m ON m.account = t.credit
    WHERE t.month = :month AND t.phase = 'post' AND t.kind = 'redemption'
    GROUP BY m.code, m.name, m.community, m.rate"""


def compute_statements(engine: Engine, month: str, now: datetime) -> list[Statement]:
    """Write the month's statements once (a second run keeps the first) and return them."""
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO settlement_statement
              (id, month, merchant, merchant_name, community, redemptions, points, rate,
               amount_fen, status, excluded, created_at, state, version)
            SELECT :month || '-' || s.merchant, :month, s.merchant, s.merchant_name,
                   s.community, s.redemptions, s.points, s.rate, s.amount_fen, 'review',
                   '[]', :now, '{{}}', 0
            FROM ({TOTALS}) s
            WHERE 1 = 1  -- SQLite: an INSERT ... SELECT ... ON CONFLICT needs a WHERE
            ON CONFLICT (id) DO NOTHING"""), {"month": month, "now": now.astimezone(UTC)})
        rows = conn.execute(select(STATEMENT).where(STATEMENT.c.month == month)
                            .order_by(STATEMENT.c.merchant)).all()
    return [Statement(merchant=r.merchant, merchant_name=r.merchant_name,
                      community=r.community, redemptions=r.redemptions, points=r.points,
                      rate=r.rate, amount_fen=r.amount_fen) for r in rows]


def statement_lines(conn: Connection, month: str, merchant_account: str,
                    redemption_ids: list[str] | None = None) -> list[Any]:
    """A statement's lines: the month's confirmed redemptions of the merchant, with the
    resident and offer (from the redemption's row)."""
    query = """
        SELECT r.id AS redemption, r.offer_id, o.title AS offer_title, r.resident,
               t.amount AS points, t.at AS confirmed_at, t.id AS transfer_id
        FROM ledger_transfer t
        JOIN redemption r ON t.id = 'redemption:' || r.id || ':' || 'post'
        LEFT JOIN offer o ON o.id = r.offer_id
        WHERE t.month = :month AND t.phase = 'post' AND t.kind = 'redemption'
          AND t.credit = :account"""
    params: dict[str, Any] = {"month": month, "account": merchant_account}
    if redemption_ids is not None:
        query += " AND t.id IN :ids"
        stmt = text(query + " ORDER BY t.at, t.id").bindparams(
            bindparam("ids", expanding=True))
        params["ids"] = [line_transfer_id(rid) for rid in redemption_ids] or [""]
        return list(conn.execute(stmt, params).all())
    return list(conn.execute(text(query + " ORDER BY t.at, t.id"), params).all())


# -- 6. posting ---------------------------------------------------------------------------


def settlement_transfer_id(month: str, merchant: str) -> str:
    return f"settlement:{month}:{merchant}"


def post_statements(engine: Engine, res: Resolution) -> Posted:
    """Post every approved statement in one transaction, all or nothing: the lines a dispute
    took out go back to their residents (reversals), the rest of each statement moves from
    the merchant to `settlement:<month>`, and the statements become payable. A second call
    finds the first's transfers and writes nothing."""
    month = res.month
    sink = account_id("settlement", month)
    open_account(engine, sink, "settlement", month)
    by_merchant = {r.merchant: r for r in res.results}
    with engine.begin() as conn:
        open_month(conn, month_of(res.at))
        done = conn.execute(text(
            "SELECT COUNT(*) FROM settlement_statement WHERE month = :m AND status = "
            "'payable'"), {"m": month}).scalar()
        rows = conn.execute(text(
            "SELECT s.id, s.merchant, s.points, s.rate, s.amount_fen, m.account "
            "FROM settlement_statement s JOIN merchant m ON m.code = s.merchant "
            "WHERE s.month = :m ORDER BY s.merchant"), {"m": month}).all()
        if done:
            return _posted(conn, month, repeated=True)
        total = amount = reversed_points = 0
        for row in rows:
            result = by_merchant.get(row.merchant)
            if result is None:
                raise LedgerError("Unknown", f"statement {row.id} has no review result")
            out = statement_lines(conn, month, row.account, result.excluded)
            for line in out:
                write_transfer(conn, TransferRequest(
                    id=f"settlement:{month}:reverse:{line.redemption}",
                    debit=row.account, credit=account_id("resident", line.resident),
                    amount=line.points, kind="reversal",
                    reason=f"{month} 结算异议成立：兑换 {line.redemption} 退回积分",
                    actor=res.actor, at=res.at))
                reversed_points += line.points
            points = row.points - sum(line.points for line in out)
            fen = round(points * row.rate * 100)
            tid = settlement_transfer_id(month, row.merchant)
            if points > 0:
                write_transfer(conn, TransferRequest(
                    id=tid, debit=row.account, credit=sink, amount=points,
                    kind="settlement",
                    reason=f"{month} 结算：{points} 积分，应付 {amount_text(fen)}",
                    actor=res.actor, at=res.at))
            conn.execute(update(STATEMENT).where(STATEMENT.c.id == row.id).values(
                status="payable", excluded=[line.redemption for line in out],
                points_settled=points, amount_fen_settled=fen,
                transfer_id=tid if points > 0 else None, payable_at=res.at.astimezone(UTC)))
            total += points
            amount += fen
    return Posted(statements=len(rows), points=total, amount_fen=amount,
                  reversed_points=reversed_points)


def _posted(conn: Connection, month: str, repeated: bool) -> Posted:
    row = conn.execute(text(
        "SELECT COUNT(*) AS n, COALESCE(SUM(points_settled), 0) AS points, "
        "COALESCE(SUM(amount_fen_settled), 0) AS fen, "
        "COALESCE(SUM(points - points_settled), 0) AS back "
        "FROM settlement_statement WHERE month = :m"), {"m": month}).one()
    return Posted(statements=row.n, points=row.points, amount_fen=row.fen,
                  reversed_points=row.back, repeated=repeated)


# -- 7. the month's report ------------------------------------------------------------------


def build_report(conn: Connection, month: str, top: int = 10) -> dict[str, Any]:
    """The month in figures: points issued by kind, redeemed, expired and settled; residents
    active; the 善行义举榜 (top residents by good-deed points, display names only)."""
    m = {"month": month}
    issued = {r.kind: int(r.points) for r in conn.execute(text("""
        SELECT t.kind, SUM(t.amount) AS points FROM ledger_transfer t
        JOIN ledger_account a ON a.id = t.debit
        WHERE t.month = :month AND t.phase = 'posted' AND a.kind = 'issuance'
        GROUP BY t.kind ORDER BY t.kind"""), m)}
    redeemed = conn.execute(text("""
        SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS points FROM ledger_transfer
        WHERE month = :month AND phase = 'post' AND kind = 'redemption'"""), m).one()
    expired = conn.execute(text("""
        SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS points FROM ledger_transfer
        WHERE kind = 'expiry' AND id LIKE :prefix"""), {"prefix": f"expiry:{month}:%"}).one()
    settled = conn.execute(text("""
        SELECT COUNT(*) AS n, COALESCE(SUM(points_settled), 0) AS points,
               COALESCE(SUM(amount_fen_settled), 0) AS fen,
               COALESCE(SUM(points - points_settled), 0) AS back
        FROM settlement_statement WHERE month = :month AND status = 'payable'"""), m).one()
    active = conn.execute(text("""
        SELECT COUNT(*) FROM (
          SELECT t.credit AS account FROM ledger_transfer t
          WHERE t.month = :month AND t.kind IN ('checkin', 'deed') AND t.phase = 'posted'
          UNION
          SELECT t.debit FROM ledger_transfer t
          WHERE t.month = :month AND t.kind = 'redemption' AND t.phase = 'pending') x"""),
        m).scalar()
    board = [{"rank": i + 1, "name": r.display_name, "deeds": int(r.deeds),
              "points": int(r.points)} for i, r in enumerate(conn.execute(text("""
        SELECT u.display_name, COUNT(*) AS deeds, SUM(t.amount) AS points
        FROM ledger_transfer t
        JOIN ledger_account a ON a.id = t.credit
        JOIN "user" u ON u.username = a.owner
        WHERE t.month = :month AND t.kind = 'deed' AND t.phase = 'posted'
          AND a.kind = 'resident'
        GROUP BY a.owner, u.display_name
        ORDER BY SUM(t.amount) DESC, COUNT(*) DESC, a.owner
        LIMIT :top"""), m | {"top": top}))]
    deed_types = [{"type": r.type_name, "deeds": int(r.n), "points": int(r.points or 0)}
                  for r in conn.execute(text("""
        SELECT type_name, COUNT(*) AS n, SUM(points_given) AS points FROM deed
        WHERE status = 'approved' AND decided_at >= :start AND decided_at < :end
        GROUP BY type_name ORDER BY COUNT(*) DESC, type_name"""),
        {"start": month_start(month), "end": month_end(month)})]
    return {
        "month": month,
        "issued": {"total": sum(issued.values()), "by_kind": issued},
        "redeemed": {"redemptions": int(redeemed.n), "points": int(redeemed.points)},
        "expired": {"accounts": int(expired.n), "points": int(expired.points)},
        "settled": {"statements": int(settled.n), "points": int(settled.points),
                    "amount_fen": int(settled.fen), "reversed_points": int(settled.back)},
        "active_residents": int(active or 0),
        "good_deeds_board": board,
        "deed_types": deed_types,
    }


def publish_report(engine: Engine, month: str, at: datetime, top: int = 10) -> dict[str, Any]:
    """Write the month's report once; a second call returns the first."""
    with engine.begin() as conn:
        first = conn.execute(select(REPORT.c.data).where(REPORT.c.month == month)).scalar()
        if first is not None:
            return first
        data = build_report(conn, month, top)
        conn.execute(REPORT.insert().values(month=month, data=data,
                                            published_at=at.astimezone(UTC)))
    return data
