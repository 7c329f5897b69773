"""Complaint clocks, categories and supervision (domain.md §2)."""

from lib.settings.spec import Setting

SETTINGS = [
    Setting("complaints.reply_hours", 24, "int", "答复时限", "Reply within", "h", 1, 720, source="§2 24小时内处理并回复"),
    Setting("complaints.follow_up_days", 3, "int", "回访时限", "Follow-up within", "days", 1, 60, source="§2 回访 within 3 days"),
    Setting("complaints.hours_mode", "clock", "choice", "时限计算方式", "Deadline hours", choices=("clock", "business"),
            source="§2 default clock hours"),
    Setting("complaints.business_day_start", "09:00", "time", "营业时间开始", "Business day starts"),
    Setting("complaints.business_day_end", "17:00", "time", "营业时间结束", "Business day ends"),
    Setting("complaints.outer_limit_days", 15, "int", "监管处理时限", "Regulator's outer limit", "days", 1, 180),
    Setting("complaints.extension_days", [15, 30], "list", "延期天数（依次）", "Extensions, in order", "days"),
    Setting("complaints.category_policy", {}, "dict", "分类时限策略", "Per-category deadlines",
            source="§2 make the deadlines a per-category policy"),
    Setting("complaints.categories", {
        "service": ["attitude", "waiting", "wording"],
        "transaction_dispute": ["card", "transfer", "atm", "online_banking"],
        "fees": ["service_charge", "interest", "penalty"],
        "product": ["wealth", "loan", "deposit", "insurance"],
        "technical": ["app", "website", "system_outage"],
        "privacy": ["data_leak", "marketing_calls"],
        "credit_report": ["incorrect_info", "investigation"],
        "debt_collection": ["harassment", "not_owed"],
    }, "dict", "投诉分类（两级）", "Complaint categories (two levels)"),
    Setting("complaints.causes", ["staff_error", "process_gap", "system_fault", "product_design", "third_party",
                                  "customer_misunderstanding", "fraud", "other"],
            "list", "原因代码", "Cause codes"),
    Setting("complaints.repeat_window_days", 30, "int", "重复投诉认定期", "Repeat complaint window", "days", 1, 365),
    Setting("complaints.due_soon_hours", 4, "int", "即将到期提醒", "Due soon within", "h", 1, 72),
    Setting("complaints.escalate_lead_after_hours", 0, "int", "逾期后升级主管", "Escalate to team lead after overdue", "h", 0, 720),
    Setting("complaints.escalate_manager_after_hours", 24, "int", "逾期后升级经理", "Escalate to manager after overdue", "h", 0, 720),
]
