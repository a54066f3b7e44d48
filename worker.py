"""The worker: connects to Temporal, checks search attributes, and runs the workflows and
activities of every registered process (workflows/registry.py)."""

import asyncio
import importlib
import inspect
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.calendar import compute_deadlines
from activities.notify import notify
from activities.projection import project
from config import get_settings
from domain import search_attributes
from schedules import ensure_schedules
from temporal_client import connect
from workflows.registry import processes

SHARED_ACTIVITIES = [compute_deadlines, notify, project]  # the task board's

log = logging.getLogger("worker")

# The sandbox imports a workflow's module afresh for every new run; with cached bytecode that
# is an unmarshal, not a compile (some machines set PYTHONDONTWRITEBYTECODE).
sys.dont_write_bytecode = False


def workflows() -> list[type]:
    return [w for p in processes().values() for w in (p.workflow, *p.helpers)]


def activities() -> list:
    found = list(SHARED_ACTIVITIES)
    for name in {m: None for p in processes().values() for m in p.activities}:
        module = importlib.import_module(name)
        found += [fn for _, fn in inspect.getmembers(module, callable)
                  if activity._Definition.from_callable(fn) is not None
                  and fn.__module__ == module.__name__]
    return found

_TYPES = {"KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL}


async def ensure_search_attributes(client: Client) -> None:
    """Register the search attributes the workflows use, or say which are missing."""
    namespace = client.namespace
    have = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace))
    known = set(have.custom_attributes) | set(have.system_attributes)
    missing = {k.name: _TYPES[k.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
               for k in search_attributes.ALL if k.name not in known}
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing))
        log.info("registered search attributes %s", sorted(missing))
    except RPCError as err:
        raise SystemExit(
            f"Temporal namespace {namespace!r} lacks search attributes {sorted(missing)} and "
            f"they could not be registered ({err.message}). Register them with: "
            + " ".join(f"temporal operator search-attribute create --name {n} --type "
                       f"{search_attributes_type(n)}" for n in sorted(missing))) from err


def search_attributes_type(name: str) -> str:
    key = next(k for k in search_attributes.ALL if k.name == name)
    return key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").title()


def build_worker(client: Client, executor: ThreadPoolExecutor) -> Worker:
    return Worker(client, task_queue=get_settings().task_queue, workflows=workflows(),
                  activities=activities(), activity_executor=executor,
                  max_concurrent_activities=32)


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    client = await connect()
    await ensure_search_attributes(client)
    await ensure_schedules(client)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # finish running tasks, then leave
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=32) as executor:
        async with build_worker(client, executor):
            log.info("worker polling %s on %s", get_settings().task_queue,
                     get_settings().temporal_address)
            await stop.wait()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
