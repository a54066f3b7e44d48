"""The ledger's invariants, checked in SQL (`make ledger-check`; the tests run it after each
test). Each query returns the rows that break a rule, so a healthy ledger answers nothing.

    python -m db.ledger_check    # exit status 1 and one line per problem if any rule breaks
"""

import sys

from sqlalchemy import text
from sqlalchemy.engine import Engine

# Posted transfers: posted at once, or a pending one posted later (the `post` row).
RULES: dict[str, str] = {
    "debits equal credits": """
        SELECT SUM(debits_posted) - SUM(credits_posted) AS posted,
               SUM(debits_pending) - SUM(credits_pending) AS pending
        FROM ledger_account
        HAVING SUM(debits_posted) <> SUM(credits_posted)
            OR SUM(debits_pending) <> SUM(credits_pending)""",
    "every balance equals the sum of its transfers": """
        WITH moved AS (
            SELECT a.id,
              COALESCE(SUM(CASE WHEN t.debit = a.id AND t.phase IN ('posted', 'post')
                                THEN t.amount END), 0) AS debits_posted,
              COALESCE(SUM(CASE WHEN t.credit = a.id AND t.phase IN ('posted', 'post')
                                THEN t.amount END), 0) AS credits_posted,
              COALESCE(SUM(CASE WHEN t.debit = a.id AND t.phase = 'pending'
                                AND r.id IS NULL THEN t.amount END), 0) AS debits_pending,
              COALESCE(SUM(CASE WHEN t.credit = a.id AND t.phase = 'pending'
                                AND r.id IS NULL THEN t.amount END), 0) AS credits_pending
            FROM ledger_account a
            LEFT JOIN ledger_transfer t ON a.id IN (t.debit, t.credit)
            LEFT JOIN ledger_transfer r ON r.pending_id = t.id
            GROUP BY a.id)
        SELECT a.id FROM ledger_account a JOIN moved m ON m.id = a.id
        WHERE a.debits_posted <> m.debits_posted OR a.credits_posted <> m.credits_posted
           OR a.debits_pending <> m.debits_pending OR a.credits_pending <> m.credits_pending""",
    "no pending transfer resolved twice": """
        SELECT pending_id FROM ledger_transfer WHERE pending_id IS NOT NULL
        GROUP BY pending_id HAVING COUNT(*) > 1""",
    "a resolution matches its pending transfer": """
        SELECT r.id FROM ledger_transfer r
        LEFT JOIN ledger_transfer p ON p.id = r.pending_id
        WHERE r.phase IN ('post', 'void')
          AND (p.id IS NULL OR p.phase <> 'pending' OR p.debit <> r.debit
               OR p.credit <> r.credit OR p.amount <> r.amount)""",
    "no restricted account below zero": """
        SELECT id FROM ledger_account
        WHERE NOT negative_allowed
          AND credits_posted - debits_posted - debits_pending < 0""",
    "every transfer moves points between two known accounts": """
        SELECT t.id FROM ledger_transfer t
        LEFT JOIN ledger_account d ON d.id = t.debit
        LEFT JOIN ledger_account c ON c.id = t.credit
        WHERE t.amount <= 0 OR d.id IS NULL OR c.id IS NULL OR t.debit = t.credit""",
}


def problems(engine: Engine) -> list[str]:
    out = []
    with engine.connect() as conn:
        for rule, sql in RULES.items():
            rows = conn.execute(text(sql)).all()
            out += [f"{rule}: {tuple(row)}" for row in rows[:20]]
    return out


def main() -> int:
    from db.engine import get_engine

    found = problems(get_engine())
    for line in found:
        print(line)
    print(f"ledger-check: {len(RULES)} rules, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
