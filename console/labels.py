"""Chinese names for what the API returns as codes (processes, roles, levels, statuses)."""

import json
from functools import cache

from config import ROOT
from domain import (
    deed,
    dog_dispute,
    incident,
    inspection,
    penalty,
    redemption,
    rider_pass,
    rider_service,
)
from domain.departments import DEPARTMENTS
from domain.tasks import STATUS_TEXT

PROCESSES = {
    "incident": "城市运行事件", "inspection": "多跨智查", "penalty": "行政处罚",
    "dog_dispute": "文明养犬纠纷", "deed": "善行义举", "redemption": "积分兑换",
    "settlement": "月度结算", "statement": "商户结算单", "rider_pass": "惠新码",
    "rider_service": "骑手服务", "drill": "演练",
}

ROLES = {
    "citizen": "市民", "inspector": "监督员", "intake": "受理员", "dispatcher": "派遣员",
    "officer": "处置人员", "dept_head": "部门负责人", "command_lead": "指挥中心负责人",
    "auditor": "审计员", "admin": "系统管理员", "service": "系统账号", "party": "企业",
    "legal_reviewer": "法制审核员", "grid_worker": "网格员", "building_leader": "楼栋长",
    "community_worker": "社区工作者", "property": "物业", "volunteer": "志愿者",
    "merchant": "商户", "finance_officer": "财务审核员", "rider": "骑手",
    "union_reviewer": "工会审核员", "union_worker": "工会服务专员", "legal_aid": "法律援助",
    "gate_guard": "门岗",
}

# escalation_level -> (name, css class): the command centre's colours, 预警 yellow, 超期 red
LEVELS = {0: ("正常", "ok"), 1: ("预警", "warn"), 2: ("超期督办", "overdue"),
          3: ("升级督办", "escalated")}

# A case's status in its process's own words (each domain module names its statuses); a
# task's status in the task board's.
CASE_STATUSES: dict[str, dict[str, str]] = {
    "incident": incident.STATUS_NAMES, "inspection": inspection.STATUS_NAMES,
    "penalty": penalty.STATUS_NAMES, "dog_dispute": dog_dispute.STATUS_NAMES,
    "deed": deed.STATUS_NAMES, "redemption": redemption.STATUS_NAMES,
    "rider_pass": rider_pass.STATUS_NAMES, "rider_service": rider_service.STATUS_NAMES,
}


def status(code: str | None, process: str | None = None) -> str:
    return CASE_STATUSES.get(process or "", {}).get(code or "", code or "")


def task_status(code: str | None) -> str:
    return STATUS_TEXT.get(code or "", code or "")


def level(n: int | None) -> tuple[str, str]:
    return LEVELS.get(min(n or 0, 3), LEVELS[0])


@cache
def communities() -> dict[str, str]:
    """Community codes to names (data/communities.json, static reference data): community
    staff carry their community's code as their department."""
    rows = json.loads((ROOT / "data" / "communities.json").read_text(encoding="utf-8"))
    return {r["code"]: r["name"] for r in rows}


def department(code: str | None) -> str:
    return DEPARTMENTS.get(code or "") or communities().get(code or "", code or "")

# Case fields in a summary box; other keys show as they are.
FIELDS = {
    "id": "编号", "status": "状态", "category_name": "类别", "category_code": "类别编码",
    "street": "街道", "department": "承办部门", "area_class": "区域类型", "source": "来源",
    "description": "描述", "reported_at": "上报时间", "filed_at": "立案时间",
    "dispatched_at": "派遣时间", "handle_due_at": "处置时限", "handled_at": "处置时间",
    "closed_at": "结案时间", "current_due_at": "当前时限", "result": "处置结果",
    "evaluation": "评价", "end_reason": "结束原因", "title": "标题", "tier": "层级",
    "behaviour": "行为", "community": "社区", "enterprise": "企业", "name": "名称",
    "points": "积分", "type": "类型", "scope": "范围", "valid_until": "有效期至",
    "platform": "平台", "phone": "电话", "module": "模块", "question": "问题",
    "answer": "答复", "rating": "评分", "created_at": "创建时间", "month": "月份",
    "merchant": "商户", "amount": "金额", "reason": "原因", "resident": "居民",
    "started_at": "开始时间", "decided_at": "决定时间", "report_count": "上报次数",
    "priority": "优先级", "deadline": "期限", "reporter": "上报人",
    "suggested_department": "建议承办部门", "evaluable": "可评价", "returns": "回退次数",
    "reworks": "返工次数", "dispatches": "派遣次数", "extensions": "延期次数",
    "version": "版本", "joined": "并案", "case_id": "案件编号",
    # 多跨智查, 行政处罚, 文明养犬
    "credit_code": "统一社会信用代码", "enterprise_name": "企业名称",
    "lead_department": "牵头部门", "planned_date": "计划检查日期", "created_by": "发起人",
    "approved_at": "审批时间", "inspected_at": "检查时间", "merged_into": "并入检查",
    "item": "事项", "facts": "违法事实", "legal_basis": "法律依据", "opened_by": "立案提出人",
    "opened_at": "提出时间", "inspection_id": "来源检查", "fine_proposed": "拟罚款（元）",
    "decision_due_at": "决定期限", "notified_at": "告知时间", "answer_due_at": "陈述申辩期限",
    "statement": "陈述申辩", "payment_due_at": "缴款期限", "paid_at": "缴款时间",
    "amount_paid": "已缴（元）", "place": "地点", "community_name": "社区名称",
    "behaviour_name": "行为", "rule": "公约条款", "owner": "养犬人", "dog_id": "犬只登记证号",
    "urgent": "紧急", "started_tier": "起始层级", "start_reason": "起始原因",
    "resolved_at": "化解时间", "recurrences": "复发次数", "owner_answer": "养犬人答复",
    "correction": "整改情况", "confirmation": "上报人确认", "reporter_role": "上报人角色",
}

# Audit entries (api/history.py): what happened, in the auditor's words.
EVENTS = {"started": "发起", "action": "办理", "signal": "信号", "timer_started": "计时开始",
          "timer_fired": "计时到点", "escalation": "升级提醒", "completed": "结束",
          "continued_as_new": "续期运行"}
