"""Figures of the dog disputes (`GET /dog-disputes/stats`), computed from the projection.

Definitions (also in the README). A dispute counts when it was reported in the window (dates in
Asia/Shanghai, both ends included) in the communities asked about.
- disputes 纠纷数: disputes reported, whatever became of them.
- by_behaviour 按公约条款: disputes per behaviour of the convention (all eleven, zeros too).
- by_ended_tier 按结束层级: disputes per tier where they last ended (`ended_tier`), with the
  count of each result there (a case reopened on recurrence and not ended again counts in none).
- resolved_share 各层级化解率: per tier, of the disputes whose path reached it, those resolved
  there (their last result is a resolution and they ended at that tier).
- median_days_to_resolution 化解天数中位数: the median of the calendar days (to one decimal)
  from report to resolution, over the disputes resolved.
- recurrences 复发次数: follow-ups that found the problem again, summed; from_prior 因前案升级:
  disputes that started where an earlier one of the same owner and behaviour ended.
Rates are fractions rounded to four places, None when the denominator is zero (api.stats.rate).
"""

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date
from statistics import median
from typing import Any

from sqlmodel import Session, col, select

from api.inspection_stats import window
from api.stats import rate
from db.models import DogDisputeRow
from domain.dog_dispute import RESOLVED_RESULTS, RESULT_NAMES, TIER_NAMES, TIERS
from domain.dogs import Convention

# The CSV: one row per figure, in sections (api.tables.export's columns).
COLUMNS: list[tuple[str, str]] = [
    ("section", "分类"), ("key", "代码"), ("name", "名称"), ("count", "数量"),
    ("base", "基数"), ("share", "占比"), ("value", "数值"),
]
DAY = 86400


def figures(rows: Iterable[DogDisputeRow], convention: Convention) -> dict[str, Any]:
    rows = list(rows)
    behaviours = Counter(r.behaviour for r in rows)
    ended: dict[str, Counter[str]] = {tier: Counter() for tier in TIERS}
    for r in rows:
        if r.ended_tier in ended:
            ended[r.ended_tier][r.result or ""] += 1
    shares = []
    for tier in TIERS:
        reached = [r for r in rows if tier in (r.path or [])]
        resolved = sum(1 for r in reached
                       if r.ended_tier == tier and r.result in RESOLVED_RESULTS)
        shares.append({"tier": tier, "name": TIER_NAMES[tier], "reached": len(reached),
                       "resolved": resolved, "share": rate(resolved, len(reached))})
    days = [(r.resolved_at - r.reported_at).total_seconds() / DAY for r in rows
            if r.resolved_at is not None and r.reported_at is not None]
    return {
        "disputes": len(rows),
        "by_behaviour": [{"code": b.code, "name": b.name, "count": behaviours[b.code]}
                         for b in convention.behaviours],
        "by_ended_tier": [{"tier": tier, "name": TIER_NAMES[tier],
                           "count": sum(ended[tier].values()),
                           "results": [{"result": result, "name": RESULT_NAMES.get(result, result),
                                        "count": n} for result, n in sorted(ended[tier].items())]}
                          for tier in TIERS],
        "resolved_share": shares,
        "resolved": len(days),
        "median_days_to_resolution": round(median(days), 1) if days else None,
        "recurrences": sum(r.recurrences for r in rows),
        "from_prior": sum(1 for r in rows if r.prior_id is not None),
    }


def read(session: Session, communities: list[str] | None, first: date | None,
         last: date | None) -> list[DogDisputeRow]:
    """The disputes of `communities` (None: all) reported in first..last (None: open-ended)."""
    query = select(DogDisputeRow)
    if communities is not None:
        query = query.where(col(DogDisputeRow.community).in_(communities))
    if first is not None:
        start, _ = window(first, first)
        query = query.where(col(DogDisputeRow.reported_at) >= start.astimezone(UTC))
    if last is not None:
        _, end = window(last, last)
        query = query.where(col(DogDisputeRow.reported_at) < end.astimezone(UTC))
    return list(session.exec(query).all())


def table(figs: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures as the CSV's rows, one per figure."""
    empty = {"count": None, "base": None, "share": None, "value": None}

    def row(section: str, key: Any, name: str, **values: Any) -> dict[str, Any]:
        return {"section": section, "key": key, "name": name} | empty | values

    out = [row("summary", "disputes", "纠纷数", count=figs["disputes"]),
           row("summary", "resolved", "已化解", count=figs["resolved"]),
           row("summary", "median_days_to_resolution", "化解天数中位数",
               value=figs["median_days_to_resolution"]),
           row("summary", "recurrences", "复发次数", count=figs["recurrences"]),
           row("summary", "from_prior", "因前案从原层级开始", count=figs["from_prior"])]
    out += [row("behaviour", b["code"], b["name"], count=b["count"])
            for b in figs["by_behaviour"]]
    for tier in figs["by_ended_tier"]:
        out.append(row("ended_tier", tier["tier"], tier["name"], count=tier["count"]))
        out += [row("ended_result", f"{tier['tier']}.{r['result']}",
                    f"{tier['name']}·{r['name']}", count=r["count"]) for r in tier["results"]]
    out += [row("resolved_share", s["tier"], s["name"], count=s["resolved"], base=s["reached"],
                share=s["share"]) for s in figs["resolved_share"]]
    return out
