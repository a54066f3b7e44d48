"""The decisions of each incident step: what the assignee may decide, which decisions need a
comment or data (by model name, see DECISION_DATA), and which are requests that
`command_lead` approves. Built once here, not in the workflow module that the sandbox
re-imports for every case."""

from domain.roles import COMMAND_LEAD
from domain.tasks import Approval, DecisionSpec

APPROVAL = Approval(role=COMMAND_LEAD)
VOID = DecisionSpec(name="void", label="作废", comment_required=True, closes=False,
                    approval=APPROVAL)
FILE = [DecisionSpec(name="accept", label="立案", data="accept"),
        DecisionSpec(name="reject", label="不予立案", comment_required=True), VOID]
DISPATCH = [DecisionSpec(name="dispatch", label="派遣", data="dispatch"), VOID]
HANDLE = [DecisionSpec(name="done", label="办结", data="done"),
          DecisionSpec(name="return", label="回退", comment_required=True),
          DecisionSpec(name="extend", label="申请延期", comment_required=True, data="extend",
                       closes=False,
                       approval=Approval(role=COMMAND_LEAD, data="approve_extension")),
          DecisionSpec(name="park", label="申请挂账", comment_required=True, data="park",
                       closes=False, approval=APPROVAL)]
VERIFY = [DecisionSpec(name="pass", label="核查通过"),
          DecisionSpec(name="fail", label="返工", comment_required=True)]
EVALUATE = [DecisionSpec(name="satisfied", label="满意"),
            DecisionSpec(name="unsatisfied", label="不满意", comment_required=True)]
REVIEW = [DecisionSpec(name="uphold", label="不满意属实，重新处置", comment_required=True),
          DecisionSpec(name="dismiss", label="维持结案", comment_required=True)]
