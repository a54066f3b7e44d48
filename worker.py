"""The worker: connects to Temporal, checks search attributes, runs every workflow/activity."""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.calendar import compute_deadlines
from activities.catalogue import lookup_category
from activities.notify import notify
from activities.projection import project_incident
from config import get_settings
from domain import search_attributes
from workflows.incident import IncidentWorkflow

WORKFLOWS = [IncidentWorkflow]
ACTIVITIES = [compute_deadlines, lookup_category, notify, project_incident]

log = logging.getLogger("worker")

_TYPES = {"KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL}


async def connect(address: str | None = None) -> Client:
    s = get_settings()
    return await Client.connect(address or s.temporal_address, namespace=s.temporal_namespace,
                                data_converter=pydantic_data_converter)


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
    return Worker(client, task_queue=get_settings().task_queue, workflows=WORKFLOWS,
                  activities=ACTIVITIES, activity_executor=executor,
                  max_concurrent_activities=32)


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    client = await connect()
    await ensure_search_attributes(client)
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
