"""Shared fixtures: a real database (SQLite file, or PostgreSQL via DATABASE_URL), the real
Temporal dev server with the real worker and API as processes, and HTTP helpers.
"""

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Decide the database and the JWT secret before any project module reads the settings.
_TMP = Path(tempfile.mkdtemp(prefix="ddk-test-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'test.db'}")
os.environ["JWT_SECRET"] = secrets.token_hex(32)  # never a known one, whatever the shell has
os.environ["ID_HASH_SECRET"] = secrets.token_hex(32)
os.environ["RIDER_KEY_DIR"] = str(_TMP / "rider_keys")
os.environ["MEDIA_DIR"] = str(_TMP / "media")
# The drill process lives in the test suite; the worker and API the tests start load it too.
os.environ["DDK_EXTRA_PROCESSES"] = "tests.processes.drill_process"

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from config import ROOT, get_settings  # noqa: E402
from db.engine import get_engine  # noqa: E402
from db.seed import (  # noqa: E402
    seed_categories,
    seed_communities,
    seed_credit,
    seed_demo_open311_key,
    seed_demo_users,
    seed_dogs,
    seed_enforcement,
    seed_gates,
    seed_merchants,
)
from scripts import stack  # noqa: E402
from tests.support import Api  # noqa: E402


def reset_database() -> None:
    """Drop everything, then build the schema with the real migrations and seed it."""
    import db.models  # noqa: F401

    engine = get_engine()
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True,
                   env=os.environ.copy())
    with Session(engine) as session:
        seed_categories(session)
        seed_demo_users(session)
        seed_demo_open311_key(session)
        seed_enforcement(session)
        seed_communities(session)
        seed_gates(session)
        seed_dogs(session)
        seed_credit(session)
        seed_merchants(session)
    from db.rider_keys import ensure_key

    ensure_key(engine)


@pytest.fixture(scope="session")
def database() -> str:
    reset_database()
    return get_settings().database_url


@pytest.fixture(autouse=True)
def ledger_invariants(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used the database, the points ledger still holds: debits equal
    credits, balances equal their transfers, nothing resolved twice, nobody below zero."""
    yield
    if "database" in request.fixturenames:
        from db.ledger_check import problems

        assert problems(get_engine()) == []


@pytest.fixture(scope="session")
def api_url(database: str) -> Iterator[str]:
    """Temporal dev server + worker + API, as `make up` runs them, on free ports."""
    temporal_port, api_port = stack.free_port(), stack.free_port()
    env = os.environ.copy() | {"TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
                               "DATABASE_URL": database}
    logs = _TMP / "logs"
    logs.mkdir(exist_ok=True)
    procs = []
    try:
        procs.append(stack.temporal_server(temporal_port, None, None, logs / "temporal.log"))
        procs.append(stack.worker(env, logs / "worker.log"))
        procs.append(stack.api(api_port, env, logs / "api.log"))
        os.environ["TEMPORAL_ADDRESS"] = env["TEMPORAL_ADDRESS"]
        get_settings.cache_clear()
        yield f"http://127.0.0.1:{api_port}"
    finally:
        stack.stop(*reversed(procs))
        for log in logs.glob("*.log"):
            tail = log.read_text(errors="replace")[-3000:]
            if "Traceback" in tail:
                print(f"--- {log.name} ---\n{tail}")


@pytest.fixture(scope="session")
def api(api_url: str) -> Api:
    return Api(api_url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: sync Playwright holds an event loop in the main thread while a
    browser is open, which asyncio tests cannot share."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path).replace("\\", "/"))
