import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import temporal
from db.engine import get_engine

router = APIRouter(tags=["health"])
log = logging.getLogger("api.health")


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001
        # Exception text may carry hosts, users or SQL: the log gets it, callers do not.
        log.exception("health: database unavailable")
        checks["database"] = "unavailable"
    try:
        client = await temporal(request)
        await client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception:  # noqa: BLE001
        log.exception("health: Temporal unavailable")
        checks["temporal"] = "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", **checks},
                        status_code=200 if ok else 503)
