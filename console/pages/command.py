"""指挥中心: the 督办 board and the 待派遣 panel, the indicators with their charts, and the map
of open cases on the district's own street outlines. Every figure comes from the API as the
user; dispatching posts to the one task page (/ui/tasks/{id})."""

from collections import Counter
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from console import svg
from console.client import ApiError
from console.nav import COMMAND
from console.render import render
from console.session import Ctx, page
from domain.incident import OPEN_STATUSES

router = APIRouter(prefix="/command")
SHANGHAI = ZoneInfo("Asia/Shanghai")

GROUPS = {"department": "承办部门", "street": "街道", "category": "类别", "source": "来源"}
# The indicators' columns (api/stats.py's definitions), in the table's order.
COLUMNS = [("reported", "上报数"), ("filed", "立案数"), ("filing_rate", "立案率"),
           ("dispatched", "派遣数"), ("correct_dispatch_rate", "准确派遣率"),
           ("closed", "结案数"), ("closure_rate", "结案率"),
           ("on_time_closure_rate", "按期结案率"), ("effective_closure_rate", "有效结案率"),
           ("rework_rate", "返工率"), ("extension_rate", "延期率"),
           ("avg_handling_hours", "平均处置用时（工作小时）"), ("overdue_open", "超期未结")]
RATES = {k for k, _ in COLUMNS if k.endswith("_rate")}
CHARTS = [("closure_rate", "结案率"), ("on_time_closure_rate", "按期结案率"),
          ("rework_rate", "返工率"), ("extension_rate", "延期率")]
SOURCES = {"citizen": "市民上报", "inspector": "监督员上报", "ai_video": "AI视频抓拍",
           "city_dispatch": "市级下派"}
# Open statuses on the map, and how a circle is coloured (an overdue case is red whatever
# its status).
MAP_KINDS = {"overdue": "超期", "filing": "待立案", "dispatching": "待派遣",
             "handling": "处置中", "verifying": "待核查", "parked": "挂账"}


def _staff_only(ctx: Ctx) -> None:
    """The board and the map are the command centre's (its menu); others get a 403 page."""
    if ctx.role not in COMMAND:
        raise ApiError(403, "指挥中心页面仅供派遣员、指挥中心负责人、管理员和审计员使用")


def _late(task: dict[str, Any], now: datetime) -> bool:
    due = task.get("due_at")
    return bool(due) and datetime.fromisoformat(due) < now


async def _board(ctx: Ctx) -> dict[str, Any]:
    """The 督办 board (warned, overdue or supervised open tasks, worst first, then by due
    time) and the 待派遣 panel with each case's catalogue suggestion."""
    now = datetime.now(SHANGHAI)
    tasks = await ctx.api.get("/tasks", limit=1000)
    watched = [t for t in tasks
               if t["escalation_level"] >= 1 or t["supervised"] or _late(t, now)]
    watched.sort(key=lambda t: (-min(t["escalation_level"], 3), t.get("due_at") or "9999"))
    levels = Counter(min(t["escalation_level"], 3) for t in watched)
    pending = [t for t in tasks if t["process"] == "incident" and t["step_code"] == "dispatch"]
    cases = {}
    if pending:
        rows = await ctx.api.get("/incidents", status="dispatching", limit=1000)
        cases = {row["id"]: row for row in rows}
    for task in pending:
        task["case"] = cases.get(task["case_id"], {})
        context = task.get("context") or {}
        if "suggested_department" in context:
            task["suggestion"] = context["suggested_department"]
        else:  # a task opened before its context carried it: the case has it
            case = await ctx.api.get(f"/incidents/{task['case_id']}")
            task["suggestion"] = case.get("suggested_department")
    return {"watched": watched, "levels": [(n, levels.get(n, 0)) for n in (3, 2, 1)],
            "pending": pending, "now": now}


@router.get("")
async def command(ctx: Annotated[Ctx, Depends(page)], done: str = "") -> Response:
    _staff_only(ctx)
    return render(ctx, "command.html", title="指挥中心", flash="已提交派遣" if done else None,
                  **await _board(ctx))


@router.get("/board")
async def board(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    """The board alone, for htmx's refresh every 60 s."""
    _staff_only(ctx)
    return render(ctx, "command_board.html", **await _board(ctx))


def _window(from_: str, to: str) -> dict[str, str]:
    return {"from": from_, "to": to}


def _chartable(rows: list[dict[str, Any]], group_by: str) -> list[dict[str, Any]]:
    """Rows with their group named for people (sources are codes in the API's answer)."""
    if group_by == "source":
        return [r | {"group": SOURCES.get(r["group"], r["group"])} for r in rows]
    return rows


@router.get("/indicators")
async def indicators(ctx: Annotated[Ctx, Depends(page)], group_by: str = "department",
                     from_: Annotated[str, Query(alias="from")] = "", to: str = "") -> Response:
    group_by = group_by if group_by in GROUPS else "department"
    values = {"group_by": group_by, "from_": from_, "to": to, "groups": GROUPS,
              "columns": COLUMNS, "rates": RATES}
    try:
        stats = await ctx.api.get("/incidents/stats", group_by=group_by, **_window(from_, to))
    except ApiError as err:
        if err.status != 422:
            raise
        return render(ctx, "command_indicators.html", status_code=422, title="指标",
                      error=f"日期有误：{err.message}", rows=[], charts=[], weeks=[],
                      week_svg="", **values)
    weekly = await ctx.api.get("/incidents/stats/weekly", weeks=12)
    rows = _chartable(stats["rows"], group_by)
    groups = [r for r in rows if r["group"] != "合计"]
    charts = [(name, svg.bar_chart(f"{name}（按{GROUPS[group_by]}）",
                                   [(r["group"], r[key]) for r in groups]))
              for key, name in CHARTS]
    return render(ctx, "command_indicators.html", title="指标", rows=rows, charts=charts,
                  shown_from=stats["from"], shown_to=stats["to"], weeks=weekly["weeks"],
                  week_svg=svg.week_chart("近12周每周上报与结案数", weekly["weeks"]),
                  error=None, **values)


@router.get("/indicators.csv")
async def indicators_csv(ctx: Annotated[Ctx, Depends(page)], group_by: str = "department",
                         from_: Annotated[str, Query(alias="from")] = "", to: str = "") -> Response:
    """The API's own CSV, fetched as the user (the browser holds no bearer token)."""
    answer = await ctx.api.call("GET", "/incidents/stats", raw=True, params={
        "group_by": group_by, "format": "csv"} | _window(from_, to))
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(answer.content, media_type=answer.headers.get("content-type", "text/csv"),
                    headers=headers)


def _map_case(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    due = row.get("current_due_at")
    late = bool(due) and datetime.fromisoformat(due) < now
    kind = "overdue" if late else row["status"]
    where = row.get("address") or _street_name(row.get("street"))
    return row | {"kind": kind, "late": late, "text": (
        f"{row['id']} {row['category_name']}（{MAP_KINDS.get(kind, kind)}）{where}")}


def _street_name(code: str | None) -> str:
    return next((s["name"] for s in svg.STREETS if s["code"] == code), "")


@router.get("/map")
async def district_map(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    _staff_only(ctx)
    now = datetime.now(SHANGHAI)
    rows: list[dict[str, Any]] = []
    for status in OPEN_STATUSES:
        rows += await ctx.api.get("/incidents", status=status, limit=1000)
    cases = [_map_case(r, now) for r in rows]
    placed = [c for c in cases if c.get("lat") is not None and c.get("lng") is not None]
    kinds = Counter(c["kind"] for c in cases)
    return render(ctx, "command_map.html", title="地图", cases=cases,
                  drawing=svg.street_map(f"大渡口区街道与在办案件（{len(placed)} 件）", placed),
                  kinds=[(k, name, kinds.get(k, 0)) for k, name in MAP_KINDS.items()],
                  streets=svg.STREETS)
