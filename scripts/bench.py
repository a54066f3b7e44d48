"""`make bench`: drive N incident cases through the whole loop over HTTP and print figures.

    python -m scripts.bench [--cases 200] [--concurrency 50]

Each case: `city_platform` reports (市级下派), then file, dispatch, handle, verify: four
actions (`POST /tasks/{id}/complete`). Runs its own dev server, worker and API on free ports
against a fresh SQLite file, or against TEMPORAL_ADDRESS / DATABASE_URL when they are set.
The last line printed is one JSON object.
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from scripts import stack

STEPS = [
    ("intake", "accept", {}),
    ("dispatcher", "dispatch", {"department": "urban_mgmt"}),
    ("officer_urban_mgmt", "done", {"result": "已处置"}),
    ("inspector", "pass", {}),
]


async def login(http: httpx.AsyncClient, users: list[str]) -> dict[str, dict[str, str]]:
    headers = {}
    for user in users:
        r = await http.post("/auth/token", data={"username": user, "password": "demo"})
        r.raise_for_status()
        headers[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return headers


async def first_task(http: httpx.AsyncClient, auth: dict[str, str], case_id: str) -> str:
    for _ in range(600):
        r = await http.get(f"/incidents/{case_id}", headers=auth)
        if r.status_code == 200 and r.json()["open_task_ids"]:
            return r.json()["open_task_ids"][0]
        await asyncio.sleep(0.05)
    raise RuntimeError(f"case {case_id} never opened its first task")


async def one_case(http: httpx.AsyncClient, auth: dict[str, dict[str, str]],
                   latencies: list[float]) -> None:
    r = await http.post("/incidents", headers=auth["city_platform"], json={
        "source": "city_dispatch", "category_code": "BJ0101", "description": "市级下派：井盖破损",
        "location": {"lat": 29.481, "lng": 106.482}})
    r.raise_for_status()
    case_id = r.json()["id"]
    task_id = await first_task(http, auth["intake"], case_id)
    for user, decision, data in STEPS:
        started = time.perf_counter()
        r = await http.post(f"/tasks/{task_id}/complete", headers=auth[user],
                            json={"decision": decision, "data": data})
        latencies.append(time.perf_counter() - started)
        r.raise_for_status()
        case = r.json()["case"]
        task_id = case["open_task_ids"][0] if case["open_task_ids"] else None
    if case["status"] != "closed":
        raise RuntimeError(f"case {case_id} ended as {case['status']}")


async def drive(base_url: str, cases: int, concurrency: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        auth = await login(http, ["city_platform"] + [s[0] for s in STEPS])
        latencies: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def run() -> None:
            async with gate:
                await one_case(http, auth, latencies)

        started = time.perf_counter()
        await asyncio.gather(*(run() for _ in range(cases)))
        seconds = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return {"cases": cases, "seconds": round(seconds, 2),
            "cases_per_s": round(cases / seconds, 2),
            "action_p50_ms": round(statistics.median(ms), 1),
            "action_p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 200)))
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ddk-bench-"))
    env = os.environ.copy()
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}")
    procs = []
    try:
        if "TEMPORAL_ADDRESS" not in env:
            port = stack.free_port()
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{port}"
            procs.append(stack.temporal_server(port, None, None, tmp / "temporal.log"))
        stack.migrate(env)
        stack.seed(env, demo=True)
        api_port = stack.free_port()
        procs.append(stack.worker(env, tmp / "worker.log"))
        procs.append(stack.api(api_port, env, tmp / "api.log"))
        print(f"driving {args.cases} cases, {args.concurrency} at a time, against "
              f"{env['TEMPORAL_ADDRESS']} (logs in {tmp})", flush=True)
        result = asyncio.run(drive(f"http://127.0.0.1:{api_port}", args.cases,
                                   args.concurrency))
    finally:
        stack.stop(*reversed(procs))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
