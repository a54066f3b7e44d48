"""`make bench-settlement`: build a month of 德分宝 points for the whole district on
PostgreSQL, settle it through MonthlySettlementWorkflow, and compare with plain SQL.

    python -m scripts.bench_settlement [--residents 420000] [--merchants 500] [--active 0.3]
                                       [--stale 1000] [--database-url postgresql://...]
                                       [--officers query|inbox] [--concurrency 50]
                                       [--build-only]

The database (default postgresql://postgres@127.0.0.1:5432/ddk_bench) is dropped and
created afresh, migrated with the real migrations and seeded with the communities. The month
M settled is the previous Asia/Shanghai month. It is built in set-based SQL (INSERT ...
SELECT over generate_series), with every account's four totals set from the transfers as
db/ledger.py would have moved them, and `db.ledger_check` must find nothing wrong with it.

What the month holds (shares chosen for a plausible district, all deterministic):
- residents `resident:b<n>`, round-robin over the 8 communities of data/communities.json,
  each with a `user` row (citizen, no usable password) so the report's board can name them;
- 20% of residents (n % 5 = 0) got an opening balance of 100-200 points 13 months before
  M's start, so expiry (points older than 12 months, first in first out) has work to do;
- `--active` (30%) of residents are active in M: each checks in (1 point,
  `checkin:b<n>:<date>`) on every third day of M, about 10 check-ins each;
- 5% of residents (pseudo-random) have one good deed of 5-20 points (`deed:...`);
- half of the residents with an opening balance (10% of all, about 42,000) redeem one offer
  each (10-60 points) at a pseudo-random merchant: a reservation `redemption:<rid>` and its
  post `redemption:<rid>:post` in M, and a `redemption` row, confirmed;
- `--stale` reservations (default 1000, scaled down with --residents) by residents with an
  opening balance who did not redeem: pending only, their redemption rows `reserved` and
  expired: the settlement voids them and gives the offer's unit back (every reservation
  took one unit of its offer's stock of 1000);
- merchants `merchant:bm<n>` over the communities, 0.05 yuan a point, every 10th a donor
  (rate 0), two offers each.

Then a Temporal dev server and the project's worker (separate processes, scripts/stack.py)
settle M: the benchmark plays the finance officers and approves every statement's review task
(Updates, at most `--concurrency` at a time), finding the tasks by polling each statement
workflow's `tasks` query (default) or, with `--officers inbox`, from the task board's open
tasks in the database, as GET /tasks shows them. Checks afterwards: ledger-check is clean, the
settlement transfers move exactly the points redeemed in M, each statement equals the plain
SQL totals, the stale reservations were voided, and the expired points are what the build
left unspent from before the cutoff.

The last line printed is one JSON object: residents, merchants, transfers (rows in
ledger_transfer after settlement), seconds (start of the workflow to its result),
sql_seconds (one plain SQL statement computing the same merchant totals, in this run:
db/settlement.py's TOTALS, the SELECT the statements are written from, bound to the month),
worker_rss_mb (the worker's peak RSS), and build_seconds, check_seconds, review_seconds
(first review task seen to last approval), settle_seconds_without_review (seconds minus
review_seconds), phases (seconds in each step as the workflow's `case` query showed them,
polled every 0.1 s), statements, expired_points, voided, month,
ratio (seconds / sql_seconds), steps (each activity's seconds, `children_started` and
`reviews` from the month's history), cpu_seconds (driver, worker, dev server, while
settling), history_events (the month's workflow) and failures (empty when all checks held).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from config import ROOT, get_settings
from db.engine import normalize_url
from domain.settlement import month_end, month_start, previous_month

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/ddk_bench"
COMMUNITIES = ROOT / "data" / "communities.json"
CATEGORIES = ["barber", "market", "restaurant", "pharmacy", "cinema", "property"]
RATE = 0.05  # yuan per point; every 10th merchant is a donor (0)
OFFER_STOCK = 1000
CHECKIN_EVERY = 3  # an active resident checks in on every third day of the month
OPENING_MONTHS_BACK = 13


def say(message: str) -> None:
    print(message, flush=True)


def shift_month(month: str, delta: int) -> str:
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + mon - 1 + delta
    return f"{index // 12}-{index % 12 + 1:02d}"


# -- 1. the database ---------------------------------------------------------------------


def recreate_database(url: str) -> None:
    target = make_url(normalize_url(url))
    name = target.database
    if not name or name in ("test", "ddk_main", "ddk_http", "postgres"):
        raise SystemExit(f"refusing to drop database {name!r}: use a database of your own")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def migrate_and_seed(url: str, engine: Engine) -> None:
    env = os.environ.copy() | {"DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    from db.seed import seed_categories, seed_communities

    with Session(engine) as session:
        seed_categories(session)
        seed_communities(session)


# -- 2. the month, set-based -------------------------------------------------------------

LOCAL_MONTH = "to_char({at} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
TRANSFER_COLUMNS = "(id, phase, debit, credit, amount, pending_id, kind, reason, actor, at, month)"

BUILD = [
    ("merchants", """
        INSERT INTO merchant (code, name, community, category, rate, account)
        SELECT 'bm' || m, '商家' || m, (CAST(:codes AS text[]))[1 + m % :nc],
               (CAST(:cats AS text[]))[1 + m % cardinality(CAST(:cats AS text[]))],
               CASE WHEN m % 10 = 0 THEN 0 ELSE :rate END, 'merchant:bm' || m
        FROM generate_series(1, :merchants) m"""),
    ("offers", """
        INSERT INTO offer (id, merchant, title, kind, points, stock, valid_until, created_at)
        SELECT 'bm' || m || '-' || o, 'bm' || m,
               '商家' || m || CASE o WHEN 'a' THEN ' 服务一次' ELSE ' 商品一份' END,
               CASE o WHEN 'a' THEN 'service' ELSE 'goods' END,
               CASE o WHEN 'a' THEN 10 + (m % 5) * 5 ELSE 30 + (m % 7) * 5 END,
               :stock, CAST(:valid_until AS date), :now
        FROM generate_series(1, :merchants) m, (VALUES ('a'), ('b')) v(o)"""),
    ("residents", """
        CREATE TEMP TABLE bench_resident ON COMMIT DROP AS
        SELECT n, 'b' || n AS username, 'resident:b' || n AS account,
               (CAST(:codes AS text[]))[1 + n % :nc] AS community,
               mod(abs(hashint4(n)::bigint), 1000) < :active_permille AS active,
               n % 5 = 0 AS opened, 100 + n % 101 AS opening,
               mod(abs(hashint4(n + 7919)::bigint), 100) < 5 AS deed,
               n % 5 = 0 AND mod(abs(hashint4(n + 31)::bigint), 2) = 0 AS redeems
        FROM generate_series(1, :residents) n"""),
    ("resident users", """
        INSERT INTO "user" (username, display_name, role, department, report_source,
                            password_hash, active)
        SELECT username, '居民' || n, 'citizen', NULL, NULL, '!', true FROM bench_resident"""),
    ("openings", f"""
        INSERT INTO ledger_transfer {TRANSFER_COLUMNS}
        SELECT 'opening:' || username, 'posted', 'issuance:' || community, account, opening,
               NULL, 'opening', '德分宝期初余额', 'system', at, {LOCAL_MONTH.format(at='at')}
        FROM (SELECT *, CAST(:opening_start AS timestamptz)
                        + make_interval(days => n % 20, hours => 9) AS at
              FROM bench_resident WHERE opened) s"""),
    ("check-ins", f"""
        INSERT INTO ledger_transfer {TRANSFER_COLUMNS}
        SELECT 'checkin:' || username || ':'
                 || to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
               'posted', 'issuance:' || community, account, 1, NULL, 'checkin',
               to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') || ' 每日签到',
               username, at, {LOCAL_MONTH.format(at='at')}
        FROM (SELECT r.*, CAST(:m_start AS timestamptz)
                          + make_interval(days => d, hours => 7, secs => r.n % 36000) AS at
              FROM bench_resident r, generate_series(0, :days - 1) d
              WHERE r.active AND (d + r.n) % :every = 0) s"""),
    ("deeds", f"""
        INSERT INTO ledger_transfer {TRANSFER_COLUMNS}
        SELECT 'deed:bench-' || n, 'posted', 'issuance:' || community, account, 5 + n % 16,
               NULL, 'deed', '善行义举', 'worker_' || community, at,
               {LOCAL_MONTH.format(at='at')}
        FROM (SELECT *, CAST(:m_start AS timestamptz)
                        + make_interval(days => n % :days, hours => 15) AS at
              FROM bench_resident WHERE deed) s"""),
    ("redemptions (plan)", """
        CREATE TEMP TABLE bench_redemption ON COMMIT DROP AS
        SELECT x.rid, x.n, x.username, x.account, x.community, x.status, x.reserved_at,
               o.id AS offer_id, o.merchant, o.points, m.account AS merchant_account,
               o.title
        FROM (
          SELECT 'rb' || n AS rid, n, username, account, community, 'confirmed' AS status,
                 CAST(:m_start AS timestamptz)
                   + make_interval(days => n % (:days - 1), hours => 10, secs => n % 3600)
                   AS reserved_at
          FROM bench_resident WHERE redeems
          UNION ALL
          SELECT 'sb' || n, n, username, account, community, 'reserved',
                 CAST(:m_start AS timestamptz) + make_interval(days => n % 20, hours => 11)
          FROM (SELECT * FROM bench_resident WHERE opened AND NOT redeems
                ORDER BY n LIMIT :stale) s
        ) x
        JOIN offer o ON o.id = 'bm' || (1 + mod(abs(hashint4(x.n + 104729)::bigint),
                                                 :merchants))
                                || '-' || CASE WHEN x.n % 2 = 0 THEN 'a' ELSE 'b' END
        JOIN merchant m ON m.code = o.merchant"""),
    ("reservations", f"""
        INSERT INTO ledger_transfer {TRANSFER_COLUMNS}
        SELECT 'redemption:' || rid, 'pending', account, merchant_account, points, NULL,
               'redemption', '兑换 ' || title, username, reserved_at,
               {LOCAL_MONTH.format(at='reserved_at')}
        FROM bench_redemption"""),
    ("confirmations", f"""
        INSERT INTO ledger_transfer {TRANSFER_COLUMNS}
        SELECT 'redemption:' || rid || ':' || 'post', 'post', account, merchant_account, points,
               'redemption:' || rid, 'redemption', '商家核销 ' || title,
               'merchant_' || merchant, reserved_at + interval '2 hours',
               {LOCAL_MONTH.format(at="(reserved_at + interval '2 hours')")}
        FROM bench_redemption WHERE status = 'confirmed'"""),
    ("redemption rows", """
        INSERT INTO redemption (id, workflow_id, code, status, resident, community, offer_id,
                                merchant, points, reserved_at, expires_at, confirmed_at,
                                ended_at, rating, state, version)
        SELECT rid, 'redemption-' || rid,
               upper(left(rid, 1)) || upper(lpad(to_hex(n), 7, '0')), status, username,
               community, offer_id, merchant, points, reserved_at,
               reserved_at + interval '7 days',
               CASE WHEN status = 'confirmed' THEN reserved_at + interval '2 hours' END,
               NULL, NULL, CAST('{}' AS json), 1
        FROM bench_redemption"""),
    ("offer stock taken", """
        UPDATE offer o SET stock = o.stock - r.n
        FROM (SELECT offer_id, COUNT(*) AS n FROM bench_redemption GROUP BY offer_id) r
        WHERE o.id = r.offer_id"""),
    ("accounts and their totals", """
        INSERT INTO ledger_account (id, kind, owner, community, negative_allowed,
                                    debits_posted, credits_posted, debits_pending,
                                    credits_pending, created_at)
        WITH moved AS (
          SELECT t.debit, t.credit, t.amount,
                 CASE WHEN t.phase IN ('posted', 'post') THEN 'posted'
                      WHEN t.phase = 'pending' AND r.id IS NULL THEN 'pending' END AS side
          FROM ledger_transfer t
          LEFT JOIN ledger_transfer r ON t.phase = 'pending' AND r.pending_id = t.id),
        totals AS (
          SELECT id, SUM(dp) AS dp, SUM(cp) AS cp, SUM(dq) AS dq, SUM(cq) AS cq FROM (
            SELECT debit AS id,
                   CASE WHEN side = 'posted' THEN amount ELSE 0 END AS dp, 0 AS cp,
                   CASE WHEN side = 'pending' THEN amount ELSE 0 END AS dq, 0 AS cq
            FROM moved
            UNION ALL
            SELECT credit, 0, CASE WHEN side = 'posted' THEN amount ELSE 0 END,
                   0, CASE WHEN side = 'pending' THEN amount ELSE 0 END
            FROM moved) x
          GROUP BY id)
        SELECT a.id, a.kind, a.owner, a.community, a.kind = 'issuance',
               COALESCE(t.dp, 0), COALESCE(t.cp, 0), COALESCE(t.dq, 0), COALESCE(t.cq, 0),
               :now
        FROM (
          SELECT account AS id, 'resident' AS kind, username AS owner, community
          FROM bench_resident
          UNION ALL
          SELECT 'issuance:' || c, 'issuance', c, c FROM unnest(CAST(:codes AS text[])) c
          UNION ALL
          SELECT account, 'merchant', code, community FROM merchant WHERE code LIKE 'bm%'
        ) a LEFT JOIN totals t ON t.id = a.id"""),
    ("months", """
        INSERT INTO ledger_month (month, closed_at)
        SELECT DISTINCT month, CAST(NULL AS timestamptz) FROM ledger_transfer
        ON CONFLICT (month) DO NOTHING"""),
]


def build_month(engine: Engine, month: str, args: argparse.Namespace) -> dict[str, int]:
    codes = [c["code"] for c in json.loads(COMMUNITIES.read_text(encoding="utf-8"))]
    start, end = month_start(month), month_end(month)
    now = datetime.now(UTC)
    stale = args.stale if args.stale is not None else max(1, round(1000 * args.residents
                                                                  / 420_000))
    params = {
        "codes": codes, "nc": len(codes), "cats": CATEGORIES, "rate": RATE,
        "merchants": args.merchants, "residents": args.residents,
        "active_permille": round(args.active * 1000), "stock": OFFER_STOCK,
        "valid_until": (now + timedelta(days=365)).date().isoformat(), "now": now,
        "opening_start": month_start(shift_month(month, -OPENING_MONTHS_BACK)),
        "m_start": start, "days": round((end - start) / timedelta(days=1)),
        "every": CHECKIN_EVERY, "stale": stale,
    }
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for what, sql in BUILD:
            t0 = time.perf_counter()
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            done = conn.execute(text(sql), used)
            say(f"  {what}: {max(done.rowcount, 0)} rows, {time.perf_counter() - t0:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        t0 = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE"))
        say(f"  vacuum analyze: {time.perf_counter() - t0:.1f} s")
    with engine.connect() as conn:
        counts = conn.execute(text("""
            SELECT (SELECT COUNT(*) FROM ledger_transfer) AS transfers,
                   (SELECT COUNT(*) FROM ledger_transfer WHERE kind = 'checkin') AS checkins,
                   (SELECT COUNT(*) FROM ledger_transfer WHERE kind = 'deed') AS deeds,
                   (SELECT COUNT(*) FROM redemption WHERE status = 'confirmed') AS redeemed,
                   (SELECT COUNT(*) FROM redemption WHERE status = 'reserved') AS stale,
                   (SELECT COUNT(*) FROM offer) AS offers,
                   (SELECT COUNT(*) FROM ledger_account) AS accounts,
                   (SELECT COUNT(*) FROM ledger_account
                    WHERE kind = 'resident' AND credits_posted - debits_posted
                                                - debits_pending < 0) AS negative""")).one()
    return dict(counts._mapping)


def expected_expiry(engine: Engine, month: str, life_months: int) -> tuple[int, int]:
    """Accounts and points the settlement should expire: held from before the cutoff, all
    reservations voided first (every pending one in the build is stale)."""
    from domain.settlement import expiry_cutoff

    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT COUNT(*) AS n, COALESCE(SUM(x), 0) AS points FROM (
              SELECT SUM(t.amount) - a.debits_posted AS x
              FROM ledger_account a
              JOIN ledger_transfer t ON t.credit = a.id AND t.phase IN ('posted', 'post')
                                     AND t.at < :cutoff
              WHERE a.kind = 'resident'
              GROUP BY a.id, a.debits_posted
              HAVING SUM(t.amount) - a.debits_posted > 0) s"""),
            {"cutoff": expiry_cutoff(month, life_months)}).one()
    return int(row.n), int(row.points)


# -- 4. the same totals in one plain statement -------------------------------------------

def plain_totals(engine: Engine, month: str) -> tuple[float, dict[str, tuple[int, int, int]]]:
    """The merchant totals in one plain statement, fetched: db/settlement.py's TOTALS (the
    SELECT the statements are written from), bound to the month."""
    from db.settlement import TOTALS

    with engine.connect() as conn:
        t0 = time.perf_counter()
        rows = conn.execute(text(TOTALS), {"month": month}).all()
        took = time.perf_counter() - t0
    return took, {r.merchant: (int(r.redemptions), int(r.points), int(r.amount_fen))
                  for r in rows}


# -- 3. the settlement through the workflow ------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and of any child processes it started (the largest)."""
    best = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]))
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo += [int(k) for k in kids]
        except OSError:
            continue
    return round(best / 1024, 1)


def wait_for_line(log: Path, needle: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        if log.exists() and needle in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"worker did not log {needle!r} within {timeout}s")


class Officers:
    """The finance officers: approve every statement's review task as it opens."""

    def __init__(self, client, engine: Engine, month: str, concurrency: int) -> None:  # noqa: ANN001
        self.client, self.engine, self.month = client, engine, month
        self.sem = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self.approved: set[str] = set()
        self.first_seen: float | None = None
        self.last_approved: float | None = None
        self.errors: list[str] = []

    def statements(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            return [(r.merchant, r.community) for r in conn.execute(text(
                "SELECT merchant, community FROM settlement_statement WHERE month = :m "
                "ORDER BY merchant"), {"m": self.month})]

    async def run(self, done: asyncio.Future) -> None:
        todo: deque[tuple[str, str]] = deque()
        while not todo:  # the statements are written in one transaction
            if done.done():
                return
            todo.extend(await asyncio.to_thread(self.statements))
            if not todo:
                await asyncio.sleep(0.5)
        say(f"  {len(todo)} statements to review")
        workers = [asyncio.create_task(self.officer(todo, done))
                   for _ in range(min(self.concurrency, len(todo)))]
        await asyncio.gather(*workers)

    # -- the inbox: the open review tasks as the task board shows them (GET /tasks) --------

    def open_reviews(self) -> list[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            return [(r.id, r.workflow_id, r.assignee_department) for r in conn.execute(text(
                "SELECT id, workflow_id, assignee_department FROM task "
                "WHERE process = 'statement' AND status = 'open' AND step_code = 'review' "
                "AND workflow_id LIKE :prefix"), {"prefix": f"statement-{self.month}-%"})]

    async def run_inbox(self, done: asyncio.Future) -> None:
        handled: set[str] = set()
        running: set[asyncio.Task] = set()
        while not done.done():
            for task_id, workflow_id, community in await asyncio.to_thread(self.open_reviews):
                if task_id in handled:
                    continue
                if self.first_seen is None:
                    self.first_seen = time.perf_counter()
                handled.add(task_id)
                job = asyncio.create_task(self.approve(workflow_id, task_id, community,
                                                       handled))
                running.add(job)
                job.add_done_callback(running.discard)
            await asyncio.sleep(0.25)
        for job in list(running):
            job.cancel()

    async def approve(self, workflow_id: str, task_id: str, community: str,
                      handled: set[str]) -> None:
        from domain.tasks import Actor, TaskAction
        from workflows.settlement import StatementReviewWorkflow

        actor = Actor(username=f"finance_{community}", role="finance_officer",
                      department=community)
        try:
            async with self.sem:
                await self.client.get_workflow_handle(workflow_id).execute_update(
                    StatementReviewWorkflow.act,
                    TaskAction(task_id=task_id, decision="approve", actor=actor))
        except Exception as err:  # noqa: BLE001  (reported; the task is tried again)
            self.errors.append(f"{workflow_id}: {type(err).__name__}: {err}")
            handled.discard(task_id)
            return
        self.approved.add(workflow_id)
        self.last_approved = time.perf_counter()

    # -- or each statement's workflow, asked by its query ----------------------------------

    async def officer(self, todo: deque, done: asyncio.Future) -> None:
        from temporalio.service import RPCError

        from domain.settlement import statement_workflow_id
        from domain.tasks import Actor, TaskAction
        from workflows.settlement import StatementReviewWorkflow

        while todo and not done.done():
            merchant, community = todo.popleft()
            handle = self.client.get_workflow_handle(
                statement_workflow_id(self.month, merchant))
            task = None
            for _ in range(50):  # about 10 s, then let others go first
                try:
                    async with self.sem:
                        tasks = await handle.query(StatementReviewWorkflow.tasks)
                except RPCError:  # not started yet (a later batch)
                    tasks = None
                if tasks is not None:
                    if self.first_seen is None:
                        self.first_seen = time.perf_counter()
                    task = next((t for t in tasks if t.status == "open"), None)
                    if task is not None:
                        break
                elif done.done():
                    return
                else:
                    break
                await asyncio.sleep(0.2)
            if task is None:
                todo.append((merchant, community))
                await asyncio.sleep(0.2)
                continue
            actor = Actor(username=f"finance_{community}", role="finance_officer",
                          department=community)
            try:
                async with self.sem:
                    await handle.execute_update(StatementReviewWorkflow.act, TaskAction(
                        task_id=task.id, decision="approve", actor=actor))
            except Exception as err:  # noqa: BLE001  (reported, the run goes on)
                self.errors.append(f"{merchant}: {type(err).__name__}: {err}")
                if len(self.errors) > 20:
                    raise
                todo.append((merchant, community))
                continue
            self.approved.add(merchant)
            self.last_approved = time.perf_counter()


async def settle(engine: Engine, url: str, month: str, args: argparse.Namespace,
                 logs: Path) -> dict:
    from scripts import stack
    from scripts.bench import cpu_seconds

    port = stack.free_port()
    address = f"127.0.0.1:{port}"
    env = os.environ.copy() | {"DATABASE_URL": url, "TEMPORAL_ADDRESS": address}
    server = worker = None
    out: dict = {}
    try:
        server = stack.temporal_server(port, None, None, logs / "temporal.log")
        worker = stack.worker(env, logs / "worker.log")
        wait_for_line(logs / "worker.log", "worker polling", worker, 120)
        watched = {"worker": worker, "temporal": server}
        before = cpu_seconds(watched)
        out = await drive(engine, address, month, args)
        after = cpu_seconds(watched)
        out["cpu_seconds"] = {k: round(after[k] - before[k], 1) for k in after if k in before}
    except Exception as err:  # noqa: BLE001  (reported in the figures, the build stands)
        out["error"] = explain(err)
    finally:
        if worker is not None and "worker_rss_mb" not in out:
            out["worker_rss_mb"] = peak_rss_mb(worker.pid)
        stack.stop(worker)  # first, so it shuts down while the server still answers
        stack.stop(server)
        tail = (logs / "worker.log").read_text(errors="replace")[-4000:] \
            if (logs / "worker.log").exists() else ""
        if "Traceback" in tail or "Error" in tail:
            say(f"--- worker.log (tail) ---\n{tail}")
    return out


def explain(err: BaseException) -> str:
    """An exception and its causes (a workflow's failure wraps the activity's or child's)."""
    parts = []
    seen: BaseException | None = err
    while seen is not None and len(parts) < 6:
        parts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__
    return " <- ".join(parts)


async def drive(engine: Engine, address: str, month: str, args: argparse.Namespace) -> dict:
    from activities.settlement import settlement_policy
    from domain.settlement import SettlementInput, SettlementState, workflow_id_for
    from temporal_client import connect
    from workflows.settlement import MonthlySettlementWorkflow

    client = await connect(address)
    inp = SettlementInput(month=month, started_by="bench", policy=settlement_policy())
    t0 = time.perf_counter()
    handle = await client.start_workflow(MonthlySettlementWorkflow.run, inp,
                                         id=workflow_id_for(month),
                                         task_queue=get_settings().task_queue)
    result = asyncio.ensure_future(handle.result())
    officers = Officers(client, engine, month, args.concurrency)
    officer_task = asyncio.create_task(
        officers.run_inbox(result) if args.officers == "inbox" else officers.run(result))
    seen: dict[str, float] = {}  # step -> when the query first showed it (s after start)
    watch_task = asyncio.create_task(watch_steps(handle, result, t0, seen))
    try:
        state: SettlementState = await asyncio.wait_for(asyncio.shield(result), args.timeout)
    except TimeoutError:
        try:
            stuck = await handle.query(MonthlySettlementWorkflow.case)
            where = f"step {stuck.step}, {stuck.reviewed} reviewed"
        except Exception as err:  # noqa: BLE001
            where = f"query failed: {err}"
        raise RuntimeError(f"settlement not done within {args.timeout}s ({where}); "
                           f"officers approved {len(officers.approved)}, errors "
                           f"{officers.errors[:5]}") from None
    finally:
        officer_task.cancel()
        watch_task.cancel()
        await asyncio.gather(officer_task, watch_task, return_exceptions=True)
    seconds = time.perf_counter() - t0
    seen.setdefault(state.step, seconds)
    marks = sorted(seen.items(), key=lambda kv: kv[1])
    phases = {step: round((marks[i + 1][1] if i + 1 < len(marks) else seconds) - at, 2)
              for i, (step, at) in enumerate(marks) if step != state.step}
    try:
        steps, events = await step_seconds(handle)
    except Exception as err:  # noqa: BLE001  (a figure, not a check)
        say(f"  could not read the workflow's history: {err}")
        steps, events = {}, None
    review = (officers.last_approved - officers.first_seen
              if officers.first_seen and officers.last_approved else None)
    return {"seconds": round(seconds, 2), "state": state,
            "review_seconds": round(review, 2) if review is not None else None,
            "approved": len(officers.approved), "officer_errors": officers.errors[:5],
            "steps": steps, "phases": phases, "history_events": events}


async def watch_steps(handle, done: asyncio.Future, t0: float,  # noqa: ANN001
                      seen: dict[str, float]) -> None:
    """The month's steps as its `case` query shows them: when each was first seen (a step
    shorter than the poll may be missed; its time then counts in the one before)."""
    from workflows.settlement import MonthlySettlementWorkflow

    while not done.done():
        try:
            case = await handle.query(MonthlySettlementWorkflow.case)
        except Exception:  # noqa: BLE001  (not running yet, or finished)
            case = None
        if case is not None and case.step not in seen:
            seen[case.step] = time.perf_counter() - t0
            say(f"  step {case.step} at {seen[case.step]:.1f} s")
        await asyncio.sleep(0.1)


async def step_seconds(handle) -> tuple[dict[str, float], int]:  # noqa: ANN001
    """Where the month's time went, from its history: each activity type's time from
    scheduled to completed (summed over its calls), `children_started` from the first child
    asked for to the last one started, `reviews` to the last one completed; and the number
    of events in the month's history."""
    from temporalio.api.enums.v1 import EventType

    history = await handle.fetch_history()
    scheduled: dict[int, tuple[str, datetime]] = {}
    spent: dict[str, float] = {}
    first = last = started = None
    for e in history.events:
        at = e.event_time.ToDatetime()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[e.event_id] = (
                e.activity_task_scheduled_event_attributes.activity_type.name, at)
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            name, start = scheduled[e.activity_task_completed_event_attributes
                                    .scheduled_event_id]
            spent[name] = spent.get(name, 0.0) + (at - start).total_seconds()
        elif e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            first = first or at
        elif e.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            started = at
        elif e.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            last = at
    if first and started:
        spent["children_started"] = (started - first).total_seconds()
    if first and last:
        spent["reviews"] = (last - first).total_seconds()
    return {k: round(v, 2) for k, v in spent.items()}, len(history.events)


# -- the checks after settling -------------------------------------------------------------


def check_settled(engine: Engine, month: str, state, sql_rows: dict, built: dict,  # noqa: ANN001
                  expiry: tuple[int, int]) -> list[str]:
    failures = []
    with engine.connect() as conn:
        redeemed = conn.execute(text(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer WHERE month = :m AND "
            "phase = 'post' AND kind = 'redemption'"), {"m": month}).scalar()
        settled = conn.execute(text(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer WHERE kind = 'settlement' "
            "AND id LIKE :p"), {"p": f"settlement:{month}:%"}).scalar()
        statements = {r.merchant: (r.redemptions, r.points, r.amount_fen, r.status)
                      for r in conn.execute(text(
                          "SELECT merchant, redemptions, points, amount_fen, status "
                          "FROM settlement_statement WHERE month = :m"), {"m": month})}
        stock = conn.execute(text("SELECT SUM(stock) FROM offer")).scalar()
        voided = conn.execute(text(
            "SELECT COUNT(*) FROM ledger_transfer t JOIN redemption r "
            "ON t.pending_id = 'redemption:' || r.id WHERE r.status = 'reserved' "
            "AND t.phase = 'void'")).scalar()
    if settled != redeemed:
        failures.append(f"settlement transfers moved {settled} points, the month redeemed "
                        f"{redeemed}")
    if state.points_settled != redeemed:
        failures.append(f"the workflow says {state.points_settled} points settled, the month "
                        f"redeemed {redeemed}")
    if set(statements) != set(sql_rows):
        failures.append(f"statements for {len(statements)} merchants, plain SQL has "
                        f"{len(sql_rows)}")
    wrong = [m for m, row in sql_rows.items()
             if m in statements and statements[m][:3] != row]
    if wrong:
        failures.append(f"{len(wrong)} statements differ from the plain SQL totals, e.g. "
                        f"{wrong[0]}: {statements[wrong[0]][:3]} vs {sql_rows[wrong[0]]}")
    not_payable = [m for m, row in statements.items() if row[3] != "payable"]
    if not_payable:
        failures.append(f"{len(not_payable)} statements not payable, e.g. {not_payable[0]}")
    if state.voided != built["stale"] or voided != built["stale"]:
        failures.append(f"voided {state.voided} (workflow) / {voided} (ledger), built "
                        f"{built['stale']} stale reservations")
    if stock != built["offers"] * OFFER_STOCK - built["redeemed"]:
        failures.append(f"offers hold {stock} units, expected "
                        f"{built['offers'] * OFFER_STOCK - built['redeemed']} (the voided "
                        "reservations' units given back)")
    if (state.expired_accounts, state.expired_points) != expiry:
        failures.append(f"expired {state.expired_accounts} accounts, "
                        f"{state.expired_points} points; expected {expiry[0]}, {expiry[1]}")
    if state.step != "settled":
        failures.append(f"the workflow ended at step {state.step}")
    return failures


# -- main ---------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--residents", type=int, default=420_000)
    p.add_argument("--merchants", type=int, default=500)
    p.add_argument("--active", type=float, default=0.3, help="share of residents active in M")
    p.add_argument("--stale", type=int, default=None,
                   help="stale reservations (default 1000 at 420,000 residents, scaled)")
    p.add_argument("--concurrency", type=int, default=50, help="review Updates at a time")
    p.add_argument("--officers", choices=["query", "inbox"], default="query",
                   help="how the officers find review tasks: poll each statement "
                   "workflow's `tasks` query, or read the task board's open tasks from the "
                   "database (what GET /tasks shows)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the "
                   "settlement")
    p.add_argument("--build-only", action="store_true",
                   help="build and check the month, time the plain SQL, do not settle")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    url = args.database_url
    # This process reads settings too (the policy, the task queue): the bench database.
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    month = previous_month(datetime.now(UTC))
    say(f"settling {month}: {args.residents} residents, {args.merchants} merchants, "
        f"{args.active:.0%} active, database {make_url(url).database}")

    t0 = time.perf_counter()
    recreate_database(url)
    engine = create_engine(normalize_url(url), pool_size=10, max_overflow=20)
    migrate_and_seed(url, engine)
    say(f"database recreated and migrated: {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    built = build_month(engine, month, args)
    build_seconds = time.perf_counter() - t0
    say(f"built {month}: {built} in {build_seconds:.1f} s")
    if built["negative"]:
        raise SystemExit(f"the build left {built['negative']} residents below zero")

    from db.ledger_check import problems

    t0 = time.perf_counter()
    found = problems(engine)
    check_seconds = time.perf_counter() - t0
    say(f"ledger-check after the build: {len(found)} problems, {check_seconds:.1f} s")
    if found:
        raise SystemExit("the build broke the ledger:\n" + "\n".join(found))

    sql_seconds, sql_rows = plain_totals(engine, month)
    say(f"plain SQL merchant totals: {len(sql_rows)} merchants, "
        f"{sum(r[1] for r in sql_rows.values())} points, {sql_seconds * 1000:.1f} ms")

    from activities.settlement import settlement_policy

    expiry = expected_expiry(engine, month, settlement_policy().life_months)
    report = {"residents": args.residents, "merchants": args.merchants, "month": month,
              "build_seconds": round(build_seconds, 1), "check_seconds": round(check_seconds, 1),
              "sql_seconds": round(sql_seconds, 4)}
    failures: list[str] = []
    state = None
    if not args.build_only:
        with tempfile.TemporaryDirectory(prefix="bench-settlement-") as tmp:
            settled = asyncio.run(settle(engine, url, month, args, Path(tmp)))
        if "error" in settled:
            report |= {"seconds": None, "worker_rss_mb": settled.get("worker_rss_mb"),
                       "error": settled["error"]}
            failures.append(f"settlement: {settled['error']}")
            settled = {}
        state = settled.pop("state", None)
    if state is not None:
        say(f"settled {month} in {settled['seconds']:.1f} s: {state.statements} statements "
            f"({settled['approved']} approved by the bench, review "
            f"{settled['review_seconds']} s), {state.voided} voided, "
            f"{state.expired_points} points expired from {state.expired_accounts} accounts, "
            f"{state.points_settled} points settled ({state.amount_fen} fen)")
        say(f"  phases seen by the query (s): {settled['phases']}")
        say(f"  where the time went (s): {settled['steps']}")
        say(f"  CPU seconds while settling: {settled.get('cpu_seconds')}")
        if settled["officer_errors"]:
            say(f"review errors: {settled['officer_errors']}")
        t0 = time.perf_counter()
        found = problems(engine)
        say(f"ledger-check after the settlement: {len(found)} problems, "
            f"{time.perf_counter() - t0:.1f} s")
        failures += [f"ledger-check: {p}" for p in found]
        failures += check_settled(engine, month, state, sql_rows, built, expiry)
        report |= {"seconds": settled["seconds"], "worker_rss_mb": settled["worker_rss_mb"],
                   "review_seconds": settled["review_seconds"],
                   "settle_seconds_without_review": (
                       round(settled["seconds"] - settled["review_seconds"], 2)
                       if settled["review_seconds"] is not None else None),
                   "phases": settled["phases"], "statements": state.statements,
                   "expired_points": state.expired_points, "voided": state.voided,
                   "ratio": round(settled["seconds"] / sql_seconds, 1),
                   "steps": settled["steps"], "cpu_seconds": settled.get("cpu_seconds"),
                   "history_events": settled["history_events"]}
    elif args.build_only:
        report |= {"seconds": None, "worker_rss_mb": None}
    with engine.connect() as conn:
        report["transfers"] = conn.execute(text("SELECT COUNT(*) FROM ledger_transfer")).scalar()
    engine.dispose()
    report["failures"] = failures
    for failure in failures:
        say(f"FAILED: {failure}")
    keys = ["residents", "merchants", "transfers", "seconds", "sql_seconds", "worker_rss_mb"]
    print(json.dumps({k: report[k] for k in keys} | report, ensure_ascii=False), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
