"""Indicators of the incident process (考核指标), computed from the case projection.

Definitions (also in the README). A case counts in the window when it was reported in it.
- reported 上报数: cases reported (repeat reports joined to a case are not new cases).
- filed 立案数: cases filed (立案), voided ones excluded.
- filing_rate 立案率: filed / reported.
- dispatched 派遣数: filed cases dispatched at least once.
- correct_dispatch_rate 准确派遣率: dispatches not returned (回退) / all dispatches.
- closed 结案数: cases whose handling passed verification (核查通过), reopened ones not.
- closure_rate 结案率: closed / filed.
- on_time_closure_rate 按期结案率: closed cases handled (办结) by their deadline / closed.
- effective_closure_rate 有效结案率: closed cases that no citizen left 不满意 / filed.
- rework_rate 返工率: handled cases sent back at least once (返工 or reopened) / handled.
- extension_rate 延期率: dispatched cases granted at least one 延期 / dispatched.
- avg_handling_hours 平均处置用时: mean working hours from the last dispatch to 办结.
- overdue_open 超期未结: open cases whose current step is past its deadline now.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from db.models import IncidentRow
from domain.departments import department_name
from domain.incident import OPEN_STATUSES

COLUMNS: list[tuple[str, str]] = [
    ("group", "分组"), ("reported", "上报数"), ("filed", "立案数"), ("filing_rate", "立案率"),
    ("dispatched", "派遣数"), ("correct_dispatch_rate", "准确派遣率"), ("closed", "结案数"),
    ("closure_rate", "结案率"), ("on_time_closure_rate", "按期结案率"),
    ("effective_closure_rate", "有效结案率"), ("rework_rate", "返工率"),
    ("extension_rate", "延期率"), ("avg_handling_hours", "平均处置用时(工作小时)"),
    ("overdue_open", "超期未结"),
]

GROUPS: dict[str, Callable[[IncidentRow], str]] = {
    "department": lambda r: department_name(r.department) or "未派遣",
    "category": lambda r: f"{r.category_code} {r.category_name}",
    "street": lambda r: department_name(r.street) or "未定位",
    "source": lambda r: r.source,
}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def indicators(rows: Iterable[IncidentRow], now: datetime) -> dict[str, float | int | None]:
    rows = list(rows)
    filed = [r for r in rows if r.filed_at and r.status != "voided"]
    dispatched = [r for r in filed if r.dispatches > 0]
    closed = [r for r in filed if r.closed_at]
    handled = [r for r in filed if r.handled_at or r.reworks]
    dispatches = sum(r.dispatches for r in dispatched)
    hours = [r.handling_hours for r in closed if r.handling_hours is not None]
    return {
        "reported": len(rows),
        "filed": len(filed),
        "filing_rate": rate(len(filed), len(rows)),
        "dispatched": len(dispatched),
        "correct_dispatch_rate": rate(dispatches - sum(r.returns for r in dispatched),
                                       dispatches),
        "closed": len(closed),
        "closure_rate": rate(len(closed), len(filed)),
        "on_time_closure_rate": rate(sum(1 for r in closed if r.on_time), len(closed)),
        "effective_closure_rate": rate(
            sum(1 for r in closed if r.evaluation != "unsatisfied"), len(filed)),
        "rework_rate": rate(sum(1 for r in handled if r.reworks), len(handled)),
        "extension_rate": rate(sum(1 for r in dispatched if r.extensions), len(dispatched)),
        "avg_handling_hours": round(sum(hours) / len(hours), 2) if hours else None,
        "overdue_open": sum(1 for r in rows if r.status in OPEN_STATUSES and r.current_due_at
                            and r.current_due_at < now),
    }


def table(rows: Iterable[IncidentRow], group_by: str, now: datetime) -> list[dict]:
    """One row per group, sorted by name, then the total ("合计")."""
    groups: dict[str, list[IncidentRow]] = defaultdict(list)
    rows = list(rows)
    for row in rows:
        groups[GROUPS[group_by](row)].append(row)
    out = [{"group": name} | indicators(members, now) for name, members in sorted(groups.items())]
    return out + [{"group": "合计"} | indicators(rows, now)]
