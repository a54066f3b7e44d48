"""The policy each new case of a process is started with, read from configuration."""

from activities.calendar import ladder_shares, today_calendar
from activities.settlement import settlement_policy  # noqa: F401  (the schedule reads it too)
from config import get_settings
from domain.deed import DeedPolicy
from domain.dog_dispute import DogPolicy
from domain.incident import IncidentPolicy
from domain.inspection import InspectionPolicy
from domain.ladder import command_ladder
from domain.penalty import PenaltyPolicy
from domain.rider_pass import RiderPassPolicy
from domain.rider_service import RiderServicePolicy
from domain.tasks import Limit


def incident_policy() -> IncidentPolicy:
    s = get_settings()
    shares = ladder_shares()
    return IncidentPolicy(
        filing_limit=Limit.parse(s.filing_limit), dispatch_limit=Limit.parse(s.dispatch_limit),
        verify_limit=Limit.parse(s.verify_limit),
        evaluation_window=Limit.parse(s.evaluation_window),
        approval_limit=Limit.parse(s.approval_limit), escalation=command_ladder(shares),
        auto_file_inspector_reports=s.auto_file_inspector_reports,
        calendar=today_calendar(),
    )


def inspection_policy() -> InspectionPolicy:
    s = get_settings()
    return InspectionPolicy(
        approve_limit=Limit.parse(s.inspection_approve_limit),
        cap_limit=Limit.parse(s.inspection_approve_limit),
        invite_limit=Limit.parse(s.inspection_invite_limit),
        inspect_limit=Limit.parse(s.inspection_inspect_limit),
        reinspect_limit=Limit.parse(s.inspection_reinspect_limit),
        merge_window_days=s.inspection_merge_window_days,
        department_cap_per_year=s.inspection_department_cap_per_year,
        enterprise_cap_30_days=s.inspection_enterprise_cap_30_days,
        draw_per_department=s.inspection_draw_per_department,
        escalation=command_ladder(ladder_shares()), calendar=today_calendar())


def penalty_policy() -> PenaltyPolicy:
    s = get_settings()
    return PenaltyPolicy(
        file_limit=Limit.parse(s.penalty_file_limit),
        notify_limit=Limit.parse(s.penalty_notify_limit),
        answer_window=Limit.parse(s.penalty_answer_window),
        hearing_notice=Limit.parse(s.penalty_hearing_notice),
        hearing_limit=Limit.parse(s.penalty_hearing_limit),
        review_limit=Limit.parse(s.penalty_review_limit),
        revise_limit=Limit.parse(s.penalty_revise_limit),
        decision_days=s.penalty_decision_days, payment_days=s.penalty_payment_days,
        hearing_fine=s.penalty_hearing_fine, major_fine=s.penalty_major_fine,
        escalation=command_ladder(ladder_shares()), calendar=today_calendar())


def dog_policy() -> DogPolicy:
    s = get_settings()
    return DogPolicy(
        identify_limit=Limit.parse(s.dog_identify_limit),
        correct_window=Limit.parse(s.dog_correct_window),
        confirm_window=Limit.parse(s.dog_confirm_window),
        schedule_limit=Limit.parse(s.dog_schedule_limit),
        decide_limit=Limit.parse(s.dog_decide_limit),
        record_limit=Limit.parse(s.dog_record_limit),
        performance_limit=Limit.parse(s.dog_performance_limit),
        enforce_limit=Limit.parse(s.dog_enforce_limit),
        follow_up_limit=Limit.parse(s.dog_follow_up_limit),
        mediation_days=s.dog_mediation_days, judicial_days=s.dog_judicial_days,
        follow_up_days=s.dog_follow_up_days, recurrence_days=s.dog_recurrence_days,
        escalation=command_ladder(ladder_shares()), calendar=today_calendar())


def deed_policy() -> DeedPolicy:
    return DeedPolicy(verify_limit=Limit.parse(get_settings().deed_verify_limit),
                      escalation=command_ladder(ladder_shares()), calendar=today_calendar())


def rider_pass_policy() -> RiderPassPolicy:
    s = get_settings()
    return RiderPassPolicy(review_limit=Limit.parse(s.rider_pass_review_limit),
                           valid_days=s.rider_pass_valid_days,
                           remind_days=s.rider_pass_remind_days,
                           escalation=command_ladder(ladder_shares()), calendar=today_calendar())


def rider_service_policy() -> RiderServicePolicy:
    s = get_settings()
    return RiderServicePolicy(answer_limit=Limit.parse(s.rider_service_answer_limit),
                              legal_limit=Limit.parse(s.rider_service_legal_limit),
                              escalation=command_ladder(ladder_shares()),
                              calendar=today_calendar())
