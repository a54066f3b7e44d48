"""The command centre's escalation ladder, which every process's tasks climb unless it has its
own: the command centre (指挥中心) follows overdue work across the district."""

from domain.roles import COMMAND_LEAD, DEPT_HEAD
from domain.tasks import ASSIGNEE, EscalationPolicy, LadderLevel, Recipient


def command_ladder(shares: list[float]) -> EscalationPolicy:
    """The command centre's ladder: 预警 to the assignee, then 超期督办 to the department head
    and command_lead, then 升级督办 to command_lead for every further share."""
    warn, overdue, *higher = shares
    levels = [
        LadderLevel(share=warn, name="预警", text="{title} 将于 {due} 到期",
                    notify=[Recipient()]),
        LadderLevel(share=overdue, name="超期督办", text="{title} 已于 {due} 超期，列入督办",
                    notify=[Recipient(role=DEPT_HEAD, department=ASSIGNEE),
                            Recipient(role=COMMAND_LEAD)], supervise=True),
    ]
    levels += [LadderLevel(share=s, name="升级督办",
                           text="{title} 超期已达时限{share}倍，请指挥中心负责人督办",
                           notify=[Recipient(role=COMMAND_LEAD)], supervise=True)
               for s in higher]
    return EscalationPolicy(levels=levels)
