"""Runtime configuration, read from the environment (and `.env` if present)."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'var' / 'ddk.db'}"
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "ddk-governance"
    # Uploaded photos (POST /media), named by their SHA-256.
    media_dir: Path = ROOT / "var" / "media"
    # Where people open the Temporal Web UI (the console links each case there).
    temporal_ui_url: str = "http://127.0.0.1:8233"

    # No default: a secret in the code is a secret anyone can read (security.check_secret).
    jwt_secret: str | None = None
    id_hash_secret: str | None = None  # keys riders' ID-number hashes (惠新码)
    jwt_ttl_minutes: int = 12 * 60

    # Working time: local zone, daily working periods, and a JSON file with holidays and
    # make-up working days (调休) for years the chinese-calendar package does not know yet.
    timezone: str = "Asia/Shanghai"
    working_hours: str = "09:00-12:00,14:00-18:00"
    holiday_overrides: Path = ROOT / "data" / "holiday_overrides.json"

    # Step limits of the incident process, "<value> <unit>" with unit one of
    # working_hours, working_days, calendar_hours, calendar_days.
    filing_limit: str = "1 working_hours"
    dispatch_limit: str = "1 working_hours"
    verify_limit: str = "1 working_days"
    evaluation_window: str = "3 calendar_days"
    approval_limit: str = "1 working_days"  # command_lead's approval of 延期, 挂账, 作废
    # Escalation ladder: shares of a task's limit at which it warns, goes overdue, goes up.
    ladder_shares: str = "0.8,1.0,2.0"
    # Joint inspections (多跨智查): step limits, the merge window (进一次门) and the caps
    # (国办发〔2024〕54号): routine checks per department and enterprise a year, and counted
    # visits per enterprise in 30 days; over a cap, command_lead decides.
    inspection_approve_limit: str = "2 working_days"
    inspection_invite_limit: str = "2 working_days"
    inspection_inspect_limit: str = "2 working_days"
    inspection_reinspect_limit: str = "5 working_days"
    inspection_merge_window_days: int = 10
    inspection_department_cap_per_year: int = 2
    inspection_enterprise_cap_30_days: int = 3
    inspection_draw_per_department: int = 2
    # Reports from inspectors are pre-verified and skip the filing step.
    auto_file_inspector_reports: bool = True
    # Penalty cases (行政处罚): step limits as above. Periods of 2, 3, 5 or 7 days are working
    # days (行政处罚法第八十五条), others calendar days: the decision is due 90 days after 立案
    # (第六十条), a fine 15 days after the decision (第六十七条). From `hearing_fine` yuan a
    # fine may be heard (第六十三条); from `major_fine` it needs 法制审核 (第五十八条).
    penalty_file_limit: str = "2 working_days"
    penalty_notify_limit: str = "3 working_days"
    penalty_answer_window: str = "5 working_days"
    penalty_hearing_notice: str = "7 working_days"
    penalty_hearing_limit: str = "3 working_days"
    penalty_review_limit: str = "5 working_days"
    penalty_revise_limit: str = "3 working_days"
    penalty_decision_days: int = 90
    penalty_payment_days: int = 15
    penalty_hearing_fine: float = 100_000
    penalty_major_fine: float = 100_000
    # Dog disputes (文明养犬): the residents' windows (自律 correction, the reporter's
    # confirmation), the staff tasks' limits, and spans in calendar days: mediation
    # (人民调解), the 司法确认 window (人民调解法第三十三条), resolution to follow-up, and how far
    # back an earlier dispute of the same owner and behaviour counts (domain.dog_dispute).
    dog_correct_window: str = "3 calendar_days"
    dog_confirm_window: str = "3 calendar_days"
    dog_identify_limit: str = "2 working_days"
    dog_schedule_limit: str = "3 working_days"
    dog_decide_limit: str = "2 working_days"
    dog_record_limit: str = "1 working_days"
    dog_performance_limit: str = "3 working_days"
    dog_enforce_limit: str = "5 working_days"
    dog_follow_up_limit: str = "3 working_days"
    dog_mediation_days: int = 30
    dog_judicial_days: int = 30
    dog_follow_up_days: int = 30
    dog_recurrence_days: int = 90
    # 德分宝 points: earning caps per resident (an award over one posts what fits).
    credit_cap_per_day: int = 50
    credit_cap_per_month: int = 500
    credit_cap_balance: int = 1500  # the most a resident may hold (Guangzhou, Nanjing: 1,500)
    deed_verify_limit: str = "2 working_days"  # a community worker verifies a good deed
    redemption_days: int = 7  # a reserved redemption not confirmed by then is voided
    # Monthly settlement (月度结算): a point's life, the review limits, and the Temporal
    # Schedule `make up` creates (cron in Asia/Shanghai: 02:00 on the 1st).
    points_life_months: int = 12
    settlement_review_limit: str = "3 working_days"  # finance officer reviews a statement
    settlement_answer_limit: str = "3 working_days"  # merchant answers a dispute
    settlement_decide_limit: str = "5 working_days"  # admin decides a contested dispute
    settlement_cron: str = "0 2 1 * *"
    # 惠新码 rider pass: the union's review limit, a pass's life and the renewal reminder.
    rider_pass_review_limit: str = "2 working_days"
    rider_key_dir: str | None = None  # private signing keys; default var/rider_keys
    rider_pass_valid_days: int = 365
    rider_pass_remind_days: int = 30
    rider_service_answer_limit: str = "2 working_days"  # a union worker answers a request
    rider_service_legal_limit: str = "10 working_days"  # legal aid concludes a referral


@lru_cache
def get_settings() -> Settings:
    return Settings()
