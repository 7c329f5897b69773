"""Team KPI targets (domain.md §4)."""

from lib.settings.spec import Setting

SETTINGS = [
    Setting("kpi.targets", {
        "chats_handled": 600,
        "first_response_median_s": 20,
        "first_response_p90_s": 60,
        "replies_within_limit_pct": 95.0,
        "qa_monthly_points": 26,
        "unqualified_rate_pct": 5.0,
        "complaints_against": 1,
        "complaints_replied_24h_pct": 95.0,
        "follow_ups_3d_pct": 100.0,
        "follow_up_satisfaction_pct": 90.0,
        "contacts_per_resolution": 1.5,
        "survey_satisfaction": 4.5,
        "work_accuracy_pct": 99.0,
    }, "dict", "班组考核目标（每月）", "Team KPI targets (monthly)", source="§4 each KPI has a target"),
]
