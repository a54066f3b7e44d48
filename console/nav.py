"""Which sections each role sees in the menu. The API still decides every read: a link here
only saves a user from pages that would answer 403."""

from domain import roles as r

COMMAND = {r.DISPATCHER, r.COMMAND_LEAD, r.ADMIN, r.AUDITOR}
DISTRICT = set(r.DISTRICT_STAFF)
COMMUNITY = {r.GRID_WORKER, r.BUILDING_LEADER, r.COMMUNITY_WORKER, r.PROPERTY, r.VOLUNTEER}
UNION = {r.UNION_REVIEWER, r.UNION_WORKER, r.LEGAL_AID}
NO_INBOX = {r.GATE_GUARD, r.SERVICE}

# (path, label, who sees it: a set of roles, or None for everyone signed in)
SECTIONS: list[tuple[str, str, set[str] | None]] = [
    ("/ui/inbox", "待办", None),
    ("/ui/command", "指挥中心", COMMAND),
    ("/ui/command/indicators", "指标", COMMAND | {r.DEPT_HEAD}),
    ("/ui/command/map", "地图", COMMAND),
    ("/ui/report", "随手拍", {r.CITIZEN, r.INSPECTOR}),
    ("/ui/incidents", "事件", DISTRICT | {r.CITIZEN, r.INSPECTOR}),
    ("/ui/inspections", "多跨智查", {r.OFFICER, r.DEPT_HEAD, r.LEGAL_REVIEWER, r.PARTY,
                                     r.COMMAND_LEAD, r.ADMIN, r.AUDITOR}),
    ("/ui/penalty-cases", "行政处罚", {r.OFFICER, r.DEPT_HEAD, r.LEGAL_REVIEWER, r.PARTY,
                                      r.COMMAND_LEAD, r.ADMIN, r.AUDITOR}),
    ("/ui/dog-disputes", "养犬纠纷", COMMUNITY | {r.CITIZEN, r.DEPT_HEAD, r.OFFICER,
                                              r.COMMAND_LEAD, r.ADMIN, r.AUDITOR}),
    ("/ui/credit", "德分宝", {r.CITIZEN, r.COMMUNITY_WORKER, r.FINANCE_OFFICER, r.ADMIN,
                            r.AUDITOR}),
    ("/ui/merchant", "商户", {r.MERCHANT}),
    ("/ui/rider", "惠新码", {r.RIDER}),
    ("/ui/rider-passes", "骑手认证", UNION | {r.ADMIN, r.AUDITOR}),
    ("/ui/gate", "门岗核验", {r.GATE_GUARD}),
    ("/ui/audit", "审计", {r.AUDITOR, r.ADMIN}),
]


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(path, label) for path, label, who in SECTIONS
            if (who is None and role not in NO_INBOX) or (who is not None and role in who)]


def home_for(role: str) -> str:
    """Where a user lands after signing in."""
    if role in {r.CITIZEN}:
        return "/ui/me"
    return {r.RIDER: "/ui/rider", r.GATE_GUARD: "/ui/gate", r.MERCHANT: "/ui/merchant",
            r.AUDITOR: "/ui/audit", r.DISPATCHER: "/ui/command",
            r.COMMAND_LEAD: "/ui/command"}.get(role, "/ui/inbox")
