"""HTTP helpers for the end-to-end tests."""

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from temporalio.client import WorkflowHandle

from domain import geo


def _spots() -> Iterator[tuple[float, float]]:
    """Points 0.0006° (>58 m) apart inside 九宫庙街道."""
    points = [(round(29.474 + 0.0006 * i, 5), round(106.476 + 0.0006 * j, 5))
              for i in range(20) for j in range(20)]
    return iter([p for p in points if geo.locate(*p) == "jiugongmiao"])


SPOTS = _spots()


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
        """A new case; each call reports from its own spot (>50 m apart), so it never joins
        an earlier test's case unless the test passes a location."""
        lat, lng = next(SPOTS)
        body = {"source": "citizen", "category_code": "BJ0101", "description": "井盖破损",
                "location": {"lat": lat, "lng": lng, "address": "九宫庙街道"}} | fields
        r = self.post("/incidents", user, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def task(self, user: str, case_id: str, step: str | None = None) -> dict:
        """The open task of `case_id` in `user`'s inbox (waits for the projection)."""
        for _ in range(100):
            tasks = [t for t in self.get("/tasks", user).json()
                     if t["case_id"] == case_id and (step is None or t["step"] == step)]
            if tasks:
                return tasks[0]
            time.sleep(0.1)
        raise AssertionError(f"no open {step or ''} task of {case_id} for {user}")

    @staticmethod
    def eventually(probe, timeout: float = 10):
        """The first truthy value of `probe()`: projections follow the workflow shortly."""
        deadline = time.monotonic() + timeout
        while (value := probe()) is None or value is False:
            if time.monotonic() > deadline:
                raise AssertionError("the projection did not catch up")
            time.sleep(0.1)
        return value

    def act(self, user: str, task_id: str, decision: str, comment: str | None = None,
            **data) -> httpx.Response:
        return self.post(f"/tasks/{task_id}/complete", user,
                         json={"decision": decision, "comment": comment, "data": data})


HISTORIES = Path(__file__).resolve().parent / "histories"
# Bump when a workflow change that running cases meet lands (behind workflow.patched): the
# next RECORD_HISTORIES=1 run adds a new set beside the old ones, which keep replaying.
GENERATION = "calendar-in-input"


async def save_history(handle: WorkflowHandle, name: str) -> None:
    """With RECORD_HISTORIES=1, save a case's history for the replay test. Never overwrites:
    a change that running cases meet keeps the old histories and adds new ones."""
    path = HISTORIES / f"{name}.{GENERATION}.json"
    if os.environ.get("RECORD_HISTORIES") != "1" or path.exists():
        return
    history = await handle.fetch_history()
    path.write_text(json.dumps({"workflow_id": handle.id,
                                "history": json.loads(history.to_json())}))


def record_history(workflow_id: str, name: str) -> None:
    """`save_history` for the end-to-end tests: from the dev server they run, search
    attributes on."""
    if os.environ.get("RECORD_HISTORIES") != "1":
        return

    async def save() -> None:
        from temporal_client import connect

        client = await connect(os.environ["TEMPORAL_ADDRESS"])
        await save_history(client.get_workflow_handle(workflow_id), name)

    asyncio.run(save())
