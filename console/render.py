"""Templates and the filters they use; `render` answers a page with the user's context."""

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from console import labels
from console.nav import nav_for
from console.session import Ctx

HERE = Path(__file__).parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
templates = Jinja2Templates(directory=HERE / "templates")


def local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An API time (ISO, +08:00 already) as Asia/Shanghai wall time; '' for none."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.strftime(fmt)


env = templates.env
env.filters.update(
    local=local,
    process=lambda p: labels.PROCESSES.get(p, p),
    role=lambda r: labels.ROLES.get(r, r),
    status=labels.status,  # a case's: {{ case.status | status('incident') }}
    task_status=labels.task_status,
    department=labels.department,
    level_name=lambda n: labels.level(n)[0],
    level_class=lambda n: labels.level(n)[1],
    field_label=lambda k: labels.FIELDS.get(k, k),
    event=lambda e: labels.EVENTS.get(e, e),
)


def render(ctx: Ctx | None, name: str, status_code: int = 200, **values: Any) -> Response:
    request = ctx.request if ctx else values.pop("request")
    values |= {"me": ctx.me if ctx else None, "csrf": ctx.csrf if ctx else "",
               "nav": nav_for(ctx.role) if ctx else [],
               "path": request.url.path}
    return templates.TemplateResponse(request, name, values, status_code=status_code)
