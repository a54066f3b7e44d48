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

    # No default: a secret in the code is a secret anyone can read (security.check_secret).
    jwt_secret: str | None = None
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
    # Reports from inspectors are pre-verified and skip the filing step.
    auto_file_inspector_reports: bool = True


@lru_cache
def get_settings() -> Settings:
    return Settings()
