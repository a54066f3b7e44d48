"""Roles and the report sources each role may use."""

CITIZEN = "citizen"
INSPECTOR = "inspector"  # 监督员: field inspector of the supervision centre
INTAKE = "intake"  # 监督中心受理员: files reports
DISPATCHER = "dispatcher"  # 指挥中心派遣员
OFFICER = "officer"  # 部门处置人员
DEPT_HEAD = "dept_head"
COMMAND_LEAD = "command_lead"  # 指挥中心负责人
AUDITOR = "auditor"
ADMIN = "admin"
SERVICE = "service"  # machine accounts (AI cameras, the city platform)
PARTY = "party"  # an enterprise's own account (行政相对人), for its inspections and penalty cases
LEGAL_REVIEWER = "legal_reviewer"  # 法制审核中心 reviewer
# Community staff and volunteers: their `department` is their community's code (a 社区 is the
# unit they work in, under its street or town), so tasks, inboxes and ladders need nothing new.
GRID_WORKER = "grid_worker"  # 网格员
BUILDING_LEADER = "building_leader"  # 楼栋长
COMMUNITY_WORKER = "community_worker"  # 社区工作者, the community's 人民调解员
PROPERTY = "property"  # 物业服务企业
VOLUNTEER = "volunteer"  # 志愿者 (the 爱宠 persuasion team)
COMMUNITY_ROLES = (GRID_WORKER, BUILDING_LEADER, COMMUNITY_WORKER, PROPERTY, VOLUNTEER)
# 德分宝: a merchant's account is its unit (`department` = the merchant's code); finance
# officers review a community's monthly statements (`department` = the community's code).
MERCHANT = "merchant"
FINANCE_OFFICER = "finance_officer"
# 惠新码: riders are outsiders like citizens; the trade union federation (区总工会) reviews
# passes and answers service requests; a gate guard's `department` is their community.
RIDER = "rider"
UNION_REVIEWER = "union_reviewer"
UNION_WORKER = "union_worker"
LEGAL_AID = "legal_aid"
GATE_GUARD = "gate_guard"
UNION_ROLES = (UNION_REVIEWER, UNION_WORKER, LEGAL_AID)

ROLES = (CITIZEN, INSPECTOR, INTAKE, DISPATCHER, OFFICER, DEPT_HEAD, COMMAND_LEAD, AUDITOR, ADMIN,
         SERVICE, PARTY, LEGAL_REVIEWER, *COMMUNITY_ROLES, MERCHANT, FINANCE_OFFICER, RIDER,
         *UNION_ROLES, GATE_GUARD)

# The district's own staff: they read every incident. Anyone else (citizens, enterprises,
# community staff, property companies and volunteers, and roles added later) sees only what
# they reported or what is addressed to them, unless a process says otherwise.
DISTRICT_STAFF = (INSPECTOR, INTAKE, DISPATCHER, OFFICER, DEPT_HEAD, COMMAND_LEAD, AUDITOR, ADMIN,
                  LEGAL_REVIEWER)

# Callers outside the government (citizens, machine accounts, enterprises): they see only what
# they reported or what concerns them (and their own tasks), never the staff's view.
REPORTER_ROLES = (CITIZEN, SERVICE, PARTY, RIDER)

SOURCES = ("citizen", "inspector", "ai_video", "city_dispatch")
SOURCE_NAMES = {
    "citizen": "随手拍",
    "inspector": "监督员上报",
    "ai_video": "AI视频抓拍",
    "city_dispatch": "市级下派",
}


def allowed_source(role: str, service_source: str | None) -> str | None:
    """The one report source a caller may use, or None if the caller may not report."""
    if role == CITIZEN:
        return "citizen"
    if role == INSPECTOR:
        return "inspector"
    if role == SERVICE:
        return service_source
    return None
