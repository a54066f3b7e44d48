"""`make bench`: drive N incident cases through the whole loop over HTTP and print figures.

    python -m scripts.bench [--cases 200] [--concurrency 50]
                            [--returns 0.1 --reworks 0.1 --repeats 0.2]   # a mixed load
                            [--inspections 40]            # joint inspections alongside

Each case: `city_platform` reports (市级下派), then file, dispatch, handle, verify: four
actions (`POST /tasks/{id}/complete`). A mixed load adds, for the given shares of cases, a
回退 to a wrong department and a re-dispatch, a failed check (返工) and a second 办结, or an
AI video report followed by a repeat 20 m away that joins the case. Runs its own dev server,
worker and API on free ports against a fresh SQLite file, or against TEMPORAL_ADDRESS /
DATABASE_URL when they are set. Besides cases/s and the actions' latency it reports the
median time from a report to its first task (`first_task_p50_ms`) and the CPU each process
spent per case (`cpu_ms_per_case`: driver, worker, API, dev server; on Linux).

`--inspections N` drives N joint inspections (多跨智查) alongside the cases, interleaved with
them under the same concurrency limit: `officer_market_reg` publishes a complaint check of a
demo enterprise planned for today (`POST /inspections`, the enterprises in turn), and
`head_market_reg` approves it; a host then has its invitation accepted by `head_market_reg`
naming two officers, and the on-site task, open at once (today's invitations are all
answered), recorded as compliant by `officer_market_reg`: the inspection closes. One that
merged into an open visit of the same enterprise (进一次门) is left to its host. Figures:
`inspections`, `inspections_closed` (hosts), `inspections_merged`, `inspections_per_s` (over
the time until the last one was done), `inspection_action_p50_ms` and `_p99_ms` (approve,
accept, record) and `inspection_actions`. The incident fields keep their meaning (`action_*`
are the incident actions only; `cpu_ms_per_case` is the whole load's CPU per incident case).

Then, on the same server and unless --no-engine, the bare engine does the same shape
(scripts/engine_bench.py: start, 4 trivial activities, 4 Updates, as many cases, as many at a
time) with a plain worker of its own, the project's worker and API stopped:
`engine_cases_per_s`, `engine_action_p50_ms`, `engine_action_p99_ms`,
`engine_cpu_ms_per_case`, and `vs_engine`, the project's cases/s over the engine's. The last
line printed is one JSON object.
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from config import ROOT, get_settings
from domain import geo
from domain.timefmt import SHANGHAI
from scripts import engine_bench, stack

USERS = ["city_platform", "ai_camera", "intake", "dispatcher", "officer_urban_mgmt",
         "officer_housing", "inspector"]
INSPECTION_USERS = ["admin", "officer_market_reg", "head_market_reg"]
LEAD, HEAD = "officer_market_reg", "head_market_reg"  # the lead officer also records
TEAM = ["officer_market_reg", "officer_market_reg_2"]
ITEM = "食品经营许可"


@dataclass
class Mix:
    returns: float = 0.0
    reworks: float = 0.0
    repeats: float = 0.0


def spots() -> list[tuple[float, float]]:
    """Report locations more than 50 m apart inside the district, so cases never join by
    accident; a repeat report is placed 20 m from its case on purpose."""
    grid = [(29.40 + 0.0006 * i, 106.41 + 0.0006 * j) for i in range(200) for j in range(180)]
    return [(round(a, 5), round(b, 5)) for a, b in grid if geo.locate(a, b)]


async def first_task(http: httpx.AsyncClient, auth: dict[str, str], case_id: str) -> str:
    for _ in range(600):
        r = await http.get(f"/incidents/{case_id}", headers=auth)
        if r.status_code == 200 and r.json()["open_task_ids"]:
            return r.json()["open_task_ids"][0]
        await asyncio.sleep(0.05)
    raise RuntimeError(f"case {case_id} never opened its first task")


class Driver:
    def __init__(self, http: httpx.AsyncClient, auth: dict[str, dict[str, str]]) -> None:
        self.http = http
        self.auth = auth
        self.latencies: list[float] = []
        self.openings: list[float] = []  # report sent -> its first task seen
        self.joined = 0
        self.inspection_latencies: list[float] = []  # approve, accept, record
        self.hosts: list[str] = []  # inspections that hosted their visit and recorded it
        self.merged = 0  # merged into another inspection's visit
        self.inspections_done_at = 0.0  # perf_counter when the last inspection got there

    async def act(self, user: str, task_id: str, decision: str, comment: str | None = None,
                  **data: object) -> dict:
        started = time.perf_counter()
        r = await self.http.post(f"/tasks/{task_id}/complete", headers=self.auth[user],
                                 json={"decision": decision, "comment": comment, "data": data})
        self.latencies.append(time.perf_counter() - started)
        r.raise_for_status()
        return r.json()["case"]

    async def inspection_act(self, user: str, task_id: str, decision: str,
                             **data: object) -> None:
        started = time.perf_counter()
        r = await self.http.post(f"/tasks/{task_id}/complete", headers=self.auth[user],
                                 json={"decision": decision, "data": data})
        self.inspection_latencies.append(time.perf_counter() - started)
        r.raise_for_status()

    async def open_inspection_task(self, case_id: str, step_code: str) -> tuple[str | None,
                                                                                  dict]:
        """The inspection's open task of that step, as its head sees the case; or None when
        the inspection was merged into another's visit (its host invites)."""
        for _ in range(600):
            r = await self.http.get(f"/inspections/{case_id}", headers=self.auth[HEAD])
            if r.status_code == 200:
                view = r.json()
                tasks = [t["id"] for t in view["tasks"]
                         if t["status"] == "open" and t["step_code"] == step_code]
                if tasks:
                    return tasks[0], view
                if view["merged_into"] is not None:
                    return None, view
                if view["status"] not in ("approving", "inviting", "scheduled", "inspecting"):
                    raise RuntimeError(f"inspection {case_id} is {view['status']}: "
                                       f"{view.get('end_reason')}")
            await asyncio.sleep(0.05)
        raise RuntimeError(f"inspection {case_id} never opened its {step_code} task")

    async def inspection(self, credit_code: str, planned: str) -> None:
        """Publish and approve; a host then accepts its invitation and records the visit."""
        body = {"type": "complaint", "credit_code": credit_code, "planned_date": planned,
                "items": [{"department": "market_reg", "item": ITEM}], "reason": "bench"}
        r = await self.http.post("/inspections", headers=self.auth[LEAD], json=body)
        r.raise_for_status()
        case_id = r.json()["id"]
        task, _ = await self.open_inspection_task(case_id, "approve_plan")
        assert task is not None
        await self.inspection_act(HEAD, task, "approve")
        task, _ = await self.open_inspection_task(case_id, "invite")
        if task is None:
            self.merged += 1
        else:
            await self.inspection_act(HEAD, task, "accept", officers=TEAM)
            task, _ = await self.open_inspection_task(case_id, "inspect")
            assert task is not None
            await self.inspection_act(LEAD, task, "record", officers_present=TEAM, findings=[
                {"item": ITEM, "result": "compliant"}])
            self.hosts.append(case_id)
        self.inspections_done_at = time.perf_counter()

    async def report(self, user: str, source: str, spot: tuple[float, float]) -> dict:
        body = {"source": source, "category_code": "BJ0101", "description": "井盖破损",
                "location": {"lat": spot[0], "lng": spot[1]}}
        if source == "city_dispatch":
            body["external_ref"] = f"CQ-{spot[0]}-{spot[1]}"
        r = await self.http.post("/incidents", headers=self.auth[user], json=body)
        r.raise_for_status()
        return r.json()

    async def case(self, spot: tuple[float, float], kind: set[str]) -> None:
        started = time.perf_counter()
        if "repeat" in kind:
            case_id = (await self.report("ai_camera", "ai_video", spot))["id"]
        else:
            case_id = (await self.report("city_platform", "city_dispatch", spot))["id"]
        task = await first_task(self.http, self.auth["intake"], case_id)
        self.openings.append(time.perf_counter() - started)
        if "repeat" in kind:
            again = await self.report("ai_camera", "ai_video", (spot[0] + 0.00018, spot[1]))
            self.joined += again["joined"]
        case = await self.act("intake", task, "accept")
        if "return" in kind:
            case = await self.act("dispatcher", case["open_task_ids"][0], "dispatch",
                                  department="housing")
            case = await self.act("officer_housing", case["open_task_ids"][0], "return",
                                  "非本部门职责")
        case = await self.act("dispatcher", case["open_task_ids"][0], "dispatch",
                              department="urban_mgmt")
        case = await self.act("officer_urban_mgmt", case["open_task_ids"][0], "done",
                              result="已处置")
        if "rework" in kind:
            case = await self.act("inspector", case["open_task_ids"][0], "fail", "仍有隐患")
            case = await self.act("officer_urban_mgmt", case["open_task_ids"][0], "done",
                                  result="已返工")
        case = await self.act("inspector", case["open_task_ids"][0], "pass")
        if case["status"] != "closed":
            raise RuntimeError(f"case {case_id} ended as {case['status']}")


async def settled(http: httpx.AsyncClient, auth: dict[str, str], hosts: list[str]) -> None:
    """After the run: every host that recorded its visit is `closed` (the projection follows
    the workflow shortly)."""
    for case_id in hosts:
        for _ in range(200):
            r = await http.get(f"/inspections/{case_id}", headers=auth)
            r.raise_for_status()
            if r.json()["status"] == "closed":
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"inspection {case_id} is {r.json()['status']}, not closed")


async def drive(base_url: str, cases: int, concurrency: int, mix: Mix,
                inspections: int = 0) -> dict:
    rng = random.Random(2024)  # the same mix every run
    kinds = [{k for k, share in (("return", mix.returns), ("rework", mix.reworks),
                                 ("repeat", mix.repeats)) if rng.random() < share}
             for _ in range(cases)]
    places = spots()
    if cases > len(places):
        raise SystemExit(f"at most {len(places)} cases: the district has no more spots")
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        auth = {}
        for user in USERS + (INSPECTION_USERS if inspections else []):
            r = await http.post("/auth/token", data={"username": user, "password": "demo"})
            r.raise_for_status()
            auth[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        codes: list[str] = []
        if inspections:
            r = await http.get("/enterprises", headers=auth["admin"], params={"limit": 1000})
            r.raise_for_status()
            known = [e["credit_code"] for e in r.json()]
            codes = [known[i % len(known)] for i in range(inspections)]
        planned = datetime.now(SHANGHAI).date().isoformat()  # on site as soon as invited
        driver = Driver(http, auth)
        gate = asyncio.Semaphore(concurrency)

        async def run(spot: tuple[float, float], kind: set[str]) -> None:
            async with gate:
                await driver.case(spot, kind)

        async def inspect(code: str) -> None:
            async with gate:
                await driver.inspection(code, planned)

        # Inspections spread evenly among the cases, so both loads run side by side.
        jobs = [(i / cases, run(places[i], kinds[i])) for i in range(cases)]
        jobs += [((i + 0.5) / inspections, inspect(code)) for i, code in enumerate(codes)]
        started = time.perf_counter()
        await asyncio.gather(*(job for _, job in sorted(jobs, key=lambda j: j[0])))
        seconds = time.perf_counter() - started
        if inspections:
            await settled(http, auth[HEAD], driver.hosts)
    ms = sorted(x * 1000 for x in driver.latencies)
    result = {"cases": cases, "seconds": round(seconds, 2),
              "cases_per_s": round(cases / seconds, 2),
              "action_p50_ms": round(statistics.median(ms), 1),
              "action_p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
              "actions": len(ms),
              "first_task_p50_ms": round(statistics.median(driver.openings) * 1000, 1),
              "mix": {"returns": sum("return" in k for k in kinds),
                      "reworks": sum("rework" in k for k in kinds),
                      "repeats": sum("repeat" in k for k in kinds), "joined": driver.joined}}
    if inspections:
        spent = driver.inspections_done_at - started
        ims = sorted(x * 1000 for x in driver.inspection_latencies)
        result |= {
            "inspections": inspections, "inspections_closed": len(driver.hosts),
            "inspections_merged": driver.merged,
            "inspections_per_s": round(inspections / spent, 2),
            "inspection_action_p50_ms": round(statistics.median(ims), 1),
            "inspection_action_p99_ms": round(ims[min(len(ims) - 1, int(len(ims) * 0.99))],
                                              1),
            "inspection_actions": len(ims)}
    return result


def cpu_seconds(procs: dict[str, subprocess.Popen]) -> dict[str, float]:
    """CPU seconds used so far by this process (the driver) and the given children."""
    used = {"driver": time.process_time()}
    for name, proc in procs.items():
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):  # not Linux: no breakdown
            pass
    return used


def cpu_per_case(before: dict[str, float], after: dict[str, float], cases: int) -> dict:
    return {k: round((after[k] - before[k]) * 1000 / cases, 1) for k in after if k in before}


def engine(env: dict[str, str], cases: int, concurrency: int, log: Path,
           server: subprocess.Popen | None) -> dict:
    """The bare engine's run, its worker in its own process as the project's is."""
    address, namespace = env["TEMPORAL_ADDRESS"], get_settings().temporal_namespace
    queue = f"engine-bench-{os.getpid()}"
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.engine_bench", "worker", "--address", address,
             "--namespace", namespace, "--task-queue", queue],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "polling":
            raise RuntimeError(f"the engine worker did not start (see {log})")
        watched = {"worker": proc} | ({"temporal": server} if server else {})
        before = cpu_seconds(watched)
        result = asyncio.run(engine_bench.drive(address, namespace, queue, cases, concurrency))
        result["engine_cpu_ms_per_case"] = cpu_per_case(before, cpu_seconds(watched), cases)
        return result
    finally:
        stack.stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 200)))
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--returns", type=float, default=0.0, help="share of cases with 回退")
    parser.add_argument("--reworks", type=float, default=0.0, help="share with 返工")
    parser.add_argument("--repeats", type=float, default=0.0,
                        help="share reported by AI video and then repeated")
    parser.add_argument("--inspections", type=int, default=0,
                        help="joint inspections driven alongside the cases")
    parser.add_argument("--no-engine", action="store_true",
                        help="skip the bare engine's run")
    args = parser.parse_args()
    mix = Mix(args.returns, args.reworks, args.repeats)

    tmp = Path(tempfile.mkdtemp(prefix="ddk-bench-"))
    env = os.environ.copy()
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}")
    procs = []
    server = None
    try:
        if "TEMPORAL_ADDRESS" not in env:
            port = stack.free_port()
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{port}"
            server = stack.temporal_server(port, None, None, tmp / "temporal.log")
            procs.append(server)
        env.setdefault("JWT_SECRET", secrets.token_hex(32))  # this run's tokens only
        stack.migrate(env)
        stack.seed(env, demo=True)
        api_port = stack.free_port()
        project = [stack.worker(env, tmp / "worker.log"),
                   stack.api(api_port, env, tmp / "api.log")]
        procs += project
        also = f" and {args.inspections} inspections" if args.inspections else ""
        print(f"driving {args.cases} cases{also}, {args.concurrency} at a time, against "
              f"{env['TEMPORAL_ADDRESS']} (logs in {tmp})", flush=True)
        watched = {"worker": project[0], "api": project[1]} | (
            {"temporal": server} if server else {})
        before = cpu_seconds(watched)
        result = asyncio.run(drive(f"http://127.0.0.1:{api_port}", args.cases,
                                   args.concurrency, mix, args.inspections))
        result["cpu_ms_per_case"] = cpu_per_case(before, cpu_seconds(watched), args.cases)
        if not args.no_engine:
            stack.stop(*reversed(project))  # the engine runs alone, as the project did
            print(f"driving the bare engine: {args.cases} cases, {args.concurrency} at a time",
                  flush=True)
            result |= engine(env, args.cases, args.concurrency, tmp / "engine.log", server)
            result["vs_engine"] = round(result["cases_per_s"] / result["engine_cases_per_s"],
                                        2)
    finally:
        stack.stop(*reversed(procs))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
