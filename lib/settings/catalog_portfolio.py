"""Client portfolio rules (domain.md §1)."""

from lib.settings.spec import Setting

SETTINGS = [
    Setting("portfolio.visit_interval_days", {"key": 30, "large": 30, "vip": 60, "ordinary": 180}, "dict",
            "各层级客户拜访间隔", "Visit interval per client tier", "days", source="§1 定期拜访"),
    Setting("portfolio.dormant_days", 180, "int", "不活跃客户认定", "Dormant after", "days", 1, 3650),
    Setting("portfolio.credit_near_limit_pct", 90, "int", "授信接近上限", "Credit line near limit at", "%", 1, 100),
    Setting("portfolio.follow_up_days", 3, "int", "回访时限", "Follow-up within", "days", 1, 60, source="§1 回访 within three days"),
    Setting("portfolio.fee_share_benchmark_pct", [10, 30], "list", "中间业务收入占比参考", "Fee income share benchmark", "%",
            source="§1 10–30 % for local banks"),
    Setting("portfolio.targets", {
        "junior": {"deposits_yuan": 300_000_000, "loans_yuan": 120_000_000, "new_clients": 6, "npl_ratio_max_pct": 2.0,
                   "interest_yuan": 1_200_000, "fee_yuan": 600_000, "visits": 20},
        "intermediate": {"deposits_yuan": 1_000_000_000, "loans_yuan": 350_000_000, "new_clients": 8, "npl_ratio_max_pct": 1.8,
                         "interest_yuan": 3_000_000, "fee_yuan": 1_200_000, "visits": 24},
        "senior": {"deposits_yuan": 2_500_000_000, "loans_yuan": 500_000_000, "new_clients": 10, "npl_ratio_max_pct": 1.5,
                   "interest_yuan": 6_000_000, "fee_yuan": 2_000_000, "visits": 28},
    }, "dict", "客户经理考核目标（按级别，每季度）", "RM targets by grade (per quarter)"),
]
