"""The category catalogue (data/categories.json), in the structure of CJ/T 214 / GB/T 30428."""

import json
import re

from config import ROOT
from domain.departments import DEPARTMENTS

ROWS = json.loads((ROOT / "data" / "categories.json").read_text(encoding="utf-8"))
MAJOR = {
    "部件": ["公用设施", "道路交通", "市容环境", "园林绿化", "房屋土地", "其他设施"],
    "事件": ["市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "其他事件"],
}
HOURS = {"working_hours": 1, "working_days": 7, "calendar_hours": 1}


def test_282_unique_codes_in_both_classes() -> None:
    assert len(ROWS) == 282
    assert len({r["code"] for r in ROWS}) == 282
    assert {r["class"] for r in ROWS} == {"部件", "事件"}


def test_codes_follow_class_and_major_class() -> None:
    for r in ROWS:
        m = re.fullmatch(r"(BJ|SJ)(\d\d)(\d\d)", r["code"])
        assert m, r["code"]
        assert r["class"] == {"BJ": "部件", "SJ": "事件"}[m.group(1)]
        assert r["major_class"] == MAJOR[r["class"]][int(m.group(2)) - 1], r["code"]


def test_every_department_known_and_routing_by_class() -> None:
    for r in ROWS:
        assert r["department"] in DEPARTMENTS, r
        assert r["routing"] == ("owner" if r["class"] == "部件" else "locality")
        assert r["name"] and r["filing_condition"] and r["closing_condition"]


def test_every_limit_positive_and_looser_in_outer_areas() -> None:
    for r in ROWS:
        limits = [r["limits"][a] for a in "ABC"]
        assert all(x["value"] > 0 and x["unit"] in HOURS for x in limits), r["code"]
        spans = [x["value"] * HOURS[x["unit"]] for x in limits]
        assert spans == sorted(spans), r["code"]


def test_urgent_safety_categories_run_on_calendar_hours() -> None:
    by_name = {r["name"]: r for r in ROWS}
    for name in ("井盖缺失", "路面塌陷"):
        assert by_name[name]["limits"]["A"]["unit"] == "calendar_hours"
