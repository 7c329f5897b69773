"""Sign-in, sessions and interface settings."""

from lib.settings.spec import Setting

SETTINGS = [
    Setting("auth.max_failed_attempts", 5, "int", "连续登录失败锁定次数", "Failed sign-ins before lockout", "", 1, 50),
    Setting("auth.lockout_minutes", 15, "int", "锁定时长", "Lockout duration", "min", 1, 1440),
    Setting("auth.idle_timeout_minutes", 30, "int", "空闲自动退出", "Idle sign-out after", "min", 1, 1440),
    Setting("auth.cookie_expiry_days", 1.0, "float", "登录保持天数", "Stay signed in for", "days", 0.01, 30),
    Setting("ui.timezone", "Asia/Shanghai", "str", "银行时区", "Bank time zone"),
    Setting("ui.page_size", 50, "int", "每页行数", "Rows per page", "", 10, 500),
    Setting("ui.cache_ttl_seconds", 60, "int", "查询缓存时长", "Query cache lifetime", "s", 0, 3600),
    Setting("calendar.weekend_days", ["sat", "sun"], "list", "周休日", "Weekly rest days"),
]
