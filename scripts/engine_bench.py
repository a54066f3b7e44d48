"""The bare engine's figures for `make bench`: the project's shape without the project.

Each case is a workflow that runs four trivial activities, each followed by an Update that
waits for it, like an officer acting on a task: the Update is accepted when the step is
ready and returns once the workflow has moved on (the next activity done), as `act` does.
The worker is a plain temporalio Worker (defaults, sandboxed workflow runner), with the
project's pydantic data converter, in its own process as the project's worker is:

    python -m scripts.engine_bench worker --address HOST:PORT [--namespace NS] --task-queue Q

prints "polling" once it polls. `drive` starts the cases and sends their Updates,
`concurrency` cases at a time.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

STEPS = 4
TIMEOUT = timedelta(seconds=30)


@activity.defn
async def step(case_id: str, n: int) -> str:
    return f"{case_id}:{n}"


@workflow.defn
class EngineCase:
    def __init__(self) -> None:
        self.ready = -1  # the step whose activity is done and which awaits its Update
        self.acted = 0  # Updates applied

    @workflow.run
    async def run(self, case_id: str) -> int:
        for n in range(STEPS):
            await workflow.execute_activity(step, args=[case_id, n],
                                            start_to_close_timeout=TIMEOUT)
            self.ready = n
            await workflow.wait_condition(lambda n=n: self.acted > n)
        self.ready = STEPS
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.acted

    @workflow.update
    async def act(self, n: int) -> int:
        await workflow.wait_condition(lambda: self.ready >= n)
        self.acted = n + 1
        await workflow.wait_condition(lambda: self.ready > n)  # settled: the next step ran
        return self.acted


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(address, namespace=namespace,
                                data_converter=pydantic_data_converter)


async def run_worker(address: str, namespace: str, task_queue: str) -> None:
    client = await connect(address, namespace)
    async with Worker(client, task_queue=task_queue, workflows=[EngineCase],
                      activities=[step]):
        print("polling", flush=True)
        await asyncio.Event().wait()


async def drive(address: str, namespace: str, task_queue: str, cases: int,
                concurrency: int) -> dict:
    client = await connect(address, namespace)
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    prefix = f"engine-{uuid.uuid4().hex[:8]}-"

    async def case(i: int) -> None:
        async with gate:
            handle = await client.start_workflow(EngineCase.run, f"{i}", id=f"{prefix}{i}",
                                                 task_queue=task_queue)
            for n in range(STEPS):
                started = time.perf_counter()
                await handle.execute_update(EngineCase.act, n)
                latencies.append(time.perf_counter() - started)
            if await handle.result() != STEPS:
                raise RuntimeError(f"engine case {i} ended early")

    started = time.perf_counter()
    await asyncio.gather(*(case(i) for i in range(cases)))
    seconds = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return {"engine_cases_per_s": round(cases / seconds, 2),
            "engine_action_p50_ms": round(statistics.median(ms), 1),
            "engine_action_p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=["worker"])
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(run_worker(args.address, args.namespace, args.task_queue))


if __name__ == "__main__":
    main()
