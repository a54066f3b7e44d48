"""Shared fixtures: a real database (SQLite file, or PostgreSQL via DATABASE_URL), the real
Temporal dev server with the real worker and API as processes, and HTTP helpers.
"""

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# Decide the database before any project module reads the settings.
_TMP = Path(tempfile.mkdtemp(prefix="ddk-test-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'test.db'}")

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from config import ROOT, get_settings  # noqa: E402
from db.engine import get_engine  # noqa: E402
from db.seed import seed_categories, seed_demo_users  # noqa: E402
from scripts import stack  # noqa: E402


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


@pytest.fixture(scope="session")
def database() -> str:
    reset_database()
    return get_settings().database_url


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


class Api:
    """An HTTP client that logs in as the demo users."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self._tokens: dict[str, str] = {}

    def auth(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = self.http.post("/auth/token", data={"username": username, "password": "demo"})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def get(self, path: str, user: str, **kw) -> httpx.Response:
        return self.http.get(path, headers=self.auth(user), **kw)

    def post(self, path: str, user: str, **kw) -> httpx.Response:
        return self.http.post(path, headers=self.auth(user), **kw)

    def report(self, user: str = "citizen", **fields) -> dict:
        body = {"source": "citizen", "category_code": "BJ0101", "description": "井盖破损",
                "location": {"lat": 29.481, "lng": 106.482, "address": "九宫庙街道"}} | fields
        r = self.post("/incidents", user, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def task(self, user: str, case_id: str, step: str | None = None) -> dict:
        """The open task of `case_id` in `user`'s inbox (waits for the projection)."""
        import time

        for _ in range(100):
            tasks = [t for t in self.get("/tasks", user).json()
                     if t["case_id"] == case_id and (step is None or t["step"] == step)]
            if tasks:
                return tasks[0]
            time.sleep(0.1)
        raise AssertionError(f"no open {step or ''} task of {case_id} for {user}")

    def act(self, user: str, task_id: str, decision: str, comment: str | None = None,
            **data) -> httpx.Response:
        return self.post(f"/tasks/{task_id}/complete", user,
                         json={"decision": decision, "comment": comment, "data": data})


@pytest.fixture(scope="session")
def api(api_url: str) -> Api:
    return Api(api_url)
