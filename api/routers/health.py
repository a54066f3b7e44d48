import logging
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import temporal
from db.engine import get_engine

router = APIRouter(tags=["health"])
log = logging.getLogger("api.health")

Check = Literal["ok", "unavailable"]


class HealthOut(BaseModel):
    status: Check
    database: Check
    temporal: Check


@router.get("/health", response_model=HealthOut, responses={
    503: {"model": HealthOut, "description": "the database or Temporal is unreachable"}})
async def health(request: Request, response: Response) -> HealthOut:
    """200 when the database and Temporal are reachable, else 503; never why."""
    database: Check = "ok"
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001
        # Exception text may carry hosts, users or SQL: the log gets it, callers do not.
        log.exception("health: database unavailable")
        database = "unavailable"
    temporal_: Check = "ok"
    try:
        client = await temporal(request)
        await client.service_client.check_health()
    except Exception:  # noqa: BLE001
        log.exception("health: Temporal unavailable")
        temporal_ = "unavailable"
    ok = database == temporal_ == "ok"
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(status="ok" if ok else "unavailable", database=database,
                     temporal=temporal_)
