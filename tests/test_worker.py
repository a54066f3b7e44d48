"""The worker against an existing Temporal server: it registers the search attributes."""

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain import search_attributes
from scripts.stack import BIN
from worker import ensure_search_attributes


async def test_missing_search_attributes_are_registered() -> None:
    async with await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            data_converter=pydantic_data_converter) as env:
        client = env.client
        request = ListSearchAttributesRequest(namespace=client.namespace)
        before = await client.operator_service.list_search_attributes(request)
        names = {k.name for k in search_attributes.ALL}
        assert not names & set(before.custom_attributes)
        await ensure_search_attributes(client)
        after = await client.operator_service.list_search_attributes(request)
        assert names <= set(after.custom_attributes)
        await ensure_search_attributes(client)  # a second start finds them and does nothing
