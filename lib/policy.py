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
    # An RM opens only their own book (row scoping in lib.portfolio.scope); the manager browses every book.
    # The administrator gets no client data: what RMs looked at is in the audit log.
    PageSpec("portfolio_overview", "pages/portfolio_overview.py", "nav.portfolio", "portfolio.page.overview",
             ":material/dashboard:", frozenset({"manager"})),
    PageSpec("portfolio_book", "pages/portfolio_book.py", "nav.portfolio", "portfolio.page.book",
             ":material/folder_shared:", frozenset({"manager", "rm"})),
    PageSpec("portfolio_client", "pages/portfolio_client.py", "nav.portfolio", "portfolio.page.client",
             ":material/person_search:", frozenset({"manager", "rm"})),
    PageSpec("portfolio_performance", "pages/portfolio_performance.py", "nav.portfolio", "portfolio.page.performance",
             ":material/trending_up:", frozenset({"manager"})),
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
    # QA staff score; leads, the manager and each agent (own rows) see results; agents and leads dispute;
    # leads organise calibration; admin and QA import chats, the admin edits the rubric, the manager closes months.
    PageSpec("qa_workbench", "pages/qa_workbench.py", "nav.qa", "qa.page.workbench", ":material/rate_review:",
             frozenset({"qa"})),
    PageSpec("qa_results", "pages/qa_results.py", "nav.qa", "qa.page.results", ":material/leaderboard:",
             frozenset({"team_lead", "qa", "manager", "agent"})),
    PageSpec("qa_disputes", "pages/qa_disputes.py", "nav.qa", "qa.page.disputes", ":material/gavel:",
             frozenset({"agent", "team_lead", "manager"})),
    PageSpec("qa_calibration", "pages/qa_calibration.py", "nav.qa", "qa.page.calibration", ":material/balance:",
             frozenset({"team_lead", "qa", "manager"})),
    PageSpec("qa_admin", "pages/qa_admin.py", "nav.qa", "qa.page.admin", ":material/upload_file:",
             frozenset({"admin", "qa", "manager"})),
    # --- team KPIs (domain.md §4) ---
    PageSpec("kpi_team", "pages/kpi_team.py", "nav.kpi", "kpi.page.team", ":material/groups:",
             frozenset({"team_lead", "manager"})),
    PageSpec("kpi_department", "pages/kpi_department.py", "nav.kpi", "kpi.page.department", ":material/leaderboard:",
             frozenset({"manager"})),
    PageSpec("kpi_me", "pages/kpi_me.py", "nav.kpi", "kpi.page.me", ":material/person:", frozenset({"agent"})),
    PageSpec("kpi_surveys", "pages/kpi_surveys.py", "nav.kpi", "kpi.page.surveys", ":material/reviews:",
             frozenset({"team_lead", "manager", "admin"})),
    # --- administration ---
    PageSpec("admin", "pages/admin.py", "nav.admin", "page.admin", ":material/admin_panel_settings:", frozenset({"admin"})),
    PageSpec("audit", "pages/audit.py", "nav.admin", "page.audit", ":material/policy:", frozenset({"admin"})),
)

# Downloads and exports: key -> roles allowed. Pages check can_download before
# offering a download button; the CLI (shell access) is the administrator's.
DOWNLOADS: dict[str, frozenset[str]] = {
    # client portfolios: one book (an RM: their own), the overview and performance (manager); all audited
    "portfolio_book": frozenset({"manager", "rm"}),
    "portfolio_overview": frozenset({"manager"}),
    "portfolio_performance": frozenset({"manager"}),
    "audit_log": frozenset({"admin"}),
    # team KPIs: every KPI table and its records (rows scoped to the viewer in lib.kpis)
    "kpi_team": frozenset({"team_lead", "manager"}),
    "kpi_department": frozenset({"manager"}),
    "kpi_me": frozenset({"agent"}),
    "kpi_surveys": frozenset({"team_lead", "manager", "admin"}),
    # complaint queues
    "complaints_queue": COMPLAINT_STAFF,
    "complaints_month": COMPLAINT_STAFF,
    "complaints_drilldown": COMPLAINT_STAFF,
    # QA chat-log scoring: results tables (rows scoped to the viewer in lib.qa), the payroll month
    "qa_results": frozenset({"team_lead", "qa", "manager", "agent"}),
    "qa_month": frozenset({"manager", "admin"}),
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


def markdown_table() -> str:
    """The policy as the README shows it: pages and downloads × roles (a test keeps them equal)."""
    head = "| page / download | " + " | ".join(ROLES) + " |"
    sep = "|---|" + "---|" * len(ROLES)
    rows = [head, sep]
    for p in PAGES:
        rows.append(f"| page `{p.url_path}` | " + " | ".join("✓" if r in p.roles else "" for r in ROLES) + " |")
    for key, roles in DOWNLOADS.items():
        rows.append(f"| download `{key}` | " + " | ".join("✓" if r in roles else "" for r in ROLES) + " |")
    return "\n".join(rows)
