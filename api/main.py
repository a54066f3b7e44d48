"""The API: one small surface over every process's workflows."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import security
from api.routers import audit, auth, categories, health, incidents, notifications, open311, tasks


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    security.check_secret()  # no serving with a missing, short or public JWT secret
    app.state.temporal = None  # connected on first use (api.deps.temporal)
    yield


app = FastAPI(
    title="大渡口区治理后台 Dadukou governance back office",
    description="Civic processes of Dadukou district as durable Temporal workflows. "
                "Times are returned in Asia/Shanghai (+08:00).",
    version="0.1.0",
    lifespan=lifespan,
)
for module in (auth, health, categories, incidents, tasks, audit, open311, notifications):
    app.include_router(module.router)
