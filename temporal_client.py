"""The Temporal client, for the worker and the API alike (the API never imports the worker)."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config import get_settings


async def connect(address: str | None = None) -> Client:
    s = get_settings()
    return await Client.connect(address or s.temporal_address, namespace=s.temporal_namespace,
                                data_converter=pydantic_data_converter)
