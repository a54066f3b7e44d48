"""The decisions of each inspection step (task `step_code`: decisions)."""

from domain.tasks import DecisionSpec

APPROVE_PLAN = [DecisionSpec(name="approve", label="批准"),
                DecisionSpec(name="refuse", label="不批准", comment_required=True)]
CAP_EXCEPTION = APPROVE_PLAN  # command_lead lets an inspection over the caps go ahead, or not
INVITE = [DecisionSpec(name="accept", label="参加", data="InviteData"),
          DecisionSpec(name="decline", label="不参加", comment_required=True)]
INSPECT = [DecisionSpec(name="record", label="记录检查结果", data="RecordData")]
REINSPECT = [DecisionSpec(name="pass", label="整改合格"),
             DecisionSpec(name="fail", label="整改不合格", comment_required=True)]
