"""The incident policy each new case is started with, read from configuration."""

from datetime import datetime

from activities.calendar import calendar_snapshot
from config import get_settings
from domain.incident import IncidentPolicy
from domain.ladder import command_ladder
from domain.tasks import Limit
from domain.timefmt import SHANGHAI


def incident_policy() -> IncidentPolicy:
    s = get_settings()
    shares = [float(x) for x in s.ladder_shares.split(",")]
    if len(shares) < 2 or shares[1] != 1.0:
        raise ValueError("LADDER_SHARES must be 'warning,1.0[,higher...]', e.g. 0.8,1.0,2.0")
    return IncidentPolicy(
        filing_limit=Limit.parse(s.filing_limit), dispatch_limit=Limit.parse(s.dispatch_limit),
        verify_limit=Limit.parse(s.verify_limit),
        evaluation_window=Limit.parse(s.evaluation_window),
        approval_limit=Limit.parse(s.approval_limit), escalation=command_ladder(shares),
        auto_file_inspector_reports=s.auto_file_inspector_reports,
        calendar=calendar_snapshot(datetime.now(SHANGHAI).date()),
    )
