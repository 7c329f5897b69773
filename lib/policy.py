"""The access policy: which role may open which page and take which download.

This table is the one place access is decided. app.py gives st.navigation only
the pages of the signed-in user's roles, and every page checks the same table
again through lib.guard (pages can be served without app.py running).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES: tuple[str, ...] = ("admin", "manager", "team_lead", "qa", "complaint_handler", "rm", "agent")
ALL = frozenset(ROLES)

# Role labels (zh, en) — also seeded into the roles table.
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "admin": ("系统管理员", "Administrator"),
    "manager": ("客服部经理", "Department manager"),
    "team_lead": ("客服主管", "Team lead"),
    "qa": ("质量管理人员", "QA staff"),
    "complaint_handler": ("投诉专员", "Complaint handler"),
    "rm": ("客户经理", "Relationship manager"),
    "agent": ("客服人员", "Agent"),
}


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str  # path relative to the project root
    section: str  # i18n key of the navigation group
    title_key: str  # i18n key of the title
    icon: str
    roles: frozenset[str]

    @property
    def url_path(self) -> str:
        return self.key.replace("_", "-")


# complaint queues: who works or supervises them (row scoping is in lib.complaints.scope)
COMPLAINT_STAFF = frozenset({"complaint_handler", "team_lead", "manager", "admin"})
# who sees personal data (ID, phone, card numbers) in complaint narratives unmasked
UNMASKED_ROLES = frozenset({"complaint_handler", "admin"})

PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "pages/home.py", "nav.general", "page.home", ":material/home:", ALL),
    # --- client portfolios (domain.md §1) ---
    # --- complaint queues (domain.md §2) ---
    # Agents, RMs and QA staff get no complaint pages: hotline agents hand complaints over (移交) to
    # the handlers, who register them; complaints about an agent or RM reach them through the KPIs.
    PageSpec("complaints_queue", "pages/complaints_queue.py", "nav.complaints", "complaints.page.queue",
             ":material/inbox:", COMPLAINT_STAFF),
    PageSpec("complaints_detail", "pages/complaints_detail.py", "nav.complaints", "complaints.page.detail",
             ":material/assignment:", COMPLAINT_STAFF),
    PageSpec("complaints_register", "pages/complaints_register.py", "nav.complaints", "complaints.page.register",
             ":material/add_comment:", frozenset({"complaint_handler", "admin"})),
    PageSpec("complaints_report", "pages/complaints_report.py", "nav.complaints", "complaints.page.report",
             ":material/monitoring:", COMPLAINT_STAFF),
    # --- QA chat-log scoring (domain.md §3) ---
    # --- team KPIs (domain.md §4) ---
    # --- administration ---
    PageSpec("admin", "pages/admin.py", "nav.admin", "page.admin", ":material/admin_panel_settings:", frozenset({"admin"})),
    PageSpec("audit", "pages/audit.py", "nav.admin", "page.audit", ":material/policy:", frozenset({"admin"})),
)

# Downloads and exports: key -> roles allowed. Pages check can_download before
# offering a download button; the CLI (shell access) is the administrator's.
DOWNLOADS: dict[str, frozenset[str]] = {
    "audit_log": frozenset({"admin"}),
    # complaint queues
    "complaints_queue": COMPLAINT_STAFF,
    "complaints_month": COMPLAINT_STAFF,
    "complaints_drilldown": COMPLAINT_STAFF,
}

PAGE_BY_KEY = {p.key: p for p in PAGES}


def pages_for(roles) -> list[PageSpec]:
    roles = set(roles)
    return [p for p in PAGES if p.roles & roles]


def can_open(roles, page_key: str) -> bool:
    spec = PAGE_BY_KEY.get(page_key)
    return spec is not None and bool(spec.roles & set(roles))


def can_download(roles, key: str) -> bool:
    allowed = DOWNLOADS.get(key)
    return allowed is not None and bool(allowed & set(roles))
