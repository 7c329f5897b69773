"""Team KPI targets and the choices behind the KPI definitions (domain.md §4)."""

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
    }, "dict", "班组考核目标（每人每月；件数类按排班天数折算）",
        "Team KPI targets (per agent and month; counts pro rata to rostered days)",
        source="§4 each KPI has a target"),
    Setting("kpi.repeat_contact_days", 7, "int", "同一问题再次联系认定期", "Repeat contact counts as the same problem within",
            "days", 0, 90, source="§4 解决同一问题来回邮件或电话的次数 (window: our choice)"),
    Setting("kpi.survey_satisfied_min_score", 4, "int", "服务质量卡“满意”最低分", "Lowest service-card score counted as satisfied",
            "", 1, 5, source="§4 服务质量卡 (1-5 scale: our choice)"),
]
