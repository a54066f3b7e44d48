"""Figures of the enforcement processes (多跨智查 and 行政处罚), computed from the projections.

Definitions (also in the README). An inspection counts in the window when it was created in it,
a penalty case when it was opened in it (dates in Asia/Shanghai, both ends included). One row
per department and a total row (合计): the inspection figures by the inspection's lead
department, the penalty figures by the case's department (the enforcing one).
- inspections 检查任务数: inspections created, whatever became of them.
- visits 实际进门次数: visits that took place, counted at their host: inspections not merged
  into another's visit whose on-site check was recorded (`inspected_at` set).
- merged 合并减少进门次数: inspections merged into another inspection's visit (进一次门:
  `merged_into` set); each is a trip to the enterprise saved.
- enterprises_visited 检查企业数: distinct enterprises (credit codes) of the inspections whose
  visit took place: their own, or for a merged one its host's. The total row counts an
  enterprise once, however many departments visited it.
- items_checked 检查事项数: check items of these inspections with a result (合格 or 违法), each
  item counted once, for the inspection that asked for it (a host's visit also checks the
  items of the inspections merged into it; those count for them, not for the host).
- violation_share 违法事项占比: items found in violation / items_checked.
- penalty_cases 处罚案件数: penalty cases opened (started alone or by an inspection).
- Outcomes, which add up to penalty_cases: not_filed 不予立案; decided with a fine 罚款, a
  warning 警告, another penalty 其他处罚 (confiscation, suspension, revocation) or none
  不予处罚; open_cases 在办: neither 不予立案 nor decided yet (a decided fine being executed
  counts as 罚款, not as 在办).
- legal_review_share 法制审核占比: decided cases that passed 法制审核 / decided cases.
- avg_days_to_decision 立案至决定平均天数: mean calendar days (dates in Asia/Shanghai) from 立案
  to the decision over decided cases, to one decimal.
Rates are fractions rounded to four places, None when the denominator is zero (api.stats.rate).
"""

from collections import defaultdict
from collections.abc import Iterable, Set
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from api.stats import rate
from db.models import InspectionRow, PenaltyCaseRow
from domain.departments import department_name
from domain.timefmt import SHANGHAI

COLUMNS: list[tuple[str, str]] = [
    ("group", "部门"), ("inspections", "检查任务数"), ("visits", "实际进门次数"),
    ("merged", "合并减少进门次数"), ("enterprises_visited", "检查企业数"),
    ("items_checked", "检查事项数"), ("violation_share", "违法事项占比"),
    ("penalty_cases", "处罚案件数"), ("not_filed", "不予立案"), ("fined", "罚款"),
    ("warned", "警告"), ("other_penalty", "其他处罚"), ("no_penalty", "不予处罚"),
    ("open_cases", "在办"), ("legal_review_share", "法制审核占比"),
    ("avg_days_to_decision", "立案至决定平均天数"),
]
TOTAL = "合计"
OTHER_PENALTIES = ("confiscation", "suspension", "revocation")
CHECKED = ("compliant", "violation")


def window(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) of the days first..last in Asia/Shanghai."""
    return (datetime.combine(first, time(0), SHANGHAI),
            datetime.combine(last + timedelta(days=1), time(0), SHANGHAI))


def own_items(row: InspectionRow) -> list[dict]:
    """The items this inspection asked for, as its last projection shows them (a host's state
    also lists the items of the inspections merged into its visit)."""
    return [i for i in row.state.get("items", []) if i.get("inspection_id") == row.id]


def visited(row: InspectionRow, hosts_done: Set[str]) -> bool:
    """Whether the inspection's visit took place: its own, or its host's (`hosts_done`:
    the ids of hosts whose on-site check was recorded)."""
    if row.merged_into is None:
        return row.inspected_at is not None
    return row.merged_into in hosts_done


def _days(case: PenaltyCaseRow) -> int:
    assert case.filed_at is not None and case.decided_at is not None
    return (case.decided_at.astimezone(SHANGHAI).date()
            - case.filed_at.astimezone(SHANGHAI).date()).days


def figures(inspections: Iterable[InspectionRow], cases: Iterable[PenaltyCaseRow],
            hosts_done: Set[str]) -> dict[str, float | int | None]:
    """The figures of one group."""
    inspections, cases = list(inspections), list(cases)
    items = [i for row in inspections for i in own_items(row) if i.get("status") in CHECKED]
    decided = [c for c in cases if c.decision_type is not None]
    kinds = [c.decision_type for c in decided]
    days = [_days(c) for c in decided if c.filed_at is not None and c.decided_at is not None]
    return {
        "inspections": len(inspections),
        "visits": sum(1 for r in inspections if r.merged_into is None and r.inspected_at),
        "merged": sum(1 for r in inspections if r.merged_into is not None),
        "enterprises_visited": len({r.credit_code for r in inspections
                                    if visited(r, hosts_done)}),
        "items_checked": len(items),
        "violation_share": rate(sum(1 for i in items if i["status"] == "violation"),
                                 len(items)),
        "penalty_cases": len(cases),
        "not_filed": sum(1 for c in cases if c.status == "not_filed"),
        "fined": kinds.count("fine"),
        "warned": kinds.count("warning"),
        "other_penalty": sum(1 for k in kinds if k in OTHER_PENALTIES),
        "no_penalty": kinds.count("none"),
        "open_cases": sum(1 for c in cases
                          if c.status != "not_filed" and c.decision_type is None),
        "legal_review_share": rate(sum(1 for c in decided if c.legal_reviewed), len(decided)),
        "avg_days_to_decision": round(sum(days) / len(days), 1) if days else None,
    }


def table(inspections: Iterable[InspectionRow], cases: Iterable[PenaltyCaseRow],
          hosts_done: Set[str]) -> list[dict]:
    """One row per department (inspections by lead department, cases by their department),
    sorted by name, then the total ("合计")."""
    inspections, cases = list(inspections), list(cases)
    by_inspection: dict[str, list[InspectionRow]] = defaultdict(list)
    by_case: dict[str, list[PenaltyCaseRow]] = defaultdict(list)
    for row in inspections:
        by_inspection[row.lead_department].append(row)
    for case in cases:
        by_case[case.department].append(case)
    names = {code: department_name(code) or code for code in {*by_inspection, *by_case}}
    out = [{"group": names[code]} | figures(by_inspection[code], by_case[code], hosts_done)
           for code in sorted(names, key=lambda c: (names[c], c))]
    return out + [{"group": TOTAL} | figures(inspections, cases, hosts_done)]


def read(session: Session, first: date, last: date) -> list[dict]:
    """The table for the days first..last: inspections created and cases opened in them, and
    which hosts of the merged ones (created in the window or before it) went on site."""
    start, end = (t.astimezone(UTC) for t in window(first, last))
    created = (col(InspectionRow.created_at) >= start, col(InspectionRow.created_at) < end)
    inspections = session.exec(select(InspectionRow).where(*created)).all()
    merged_into = select(InspectionRow.merged_into).where(
        *created, col(InspectionRow.merged_into).is_not(None))
    hosts_done = set(session.exec(select(InspectionRow.id).where(
        col(InspectionRow.id).in_(merged_into),
        col(InspectionRow.inspected_at).is_not(None))).all())
    cases = session.exec(select(PenaltyCaseRow).where(
        col(PenaltyCaseRow.opened_at) >= start, col(PenaltyCaseRow.opened_at) < end)).all()
    return table(inspections, cases, hosts_done)
