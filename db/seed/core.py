"""Seed the department itself: teams, agents, RMs, staff users, demo logins, calendar, rosters."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta

from sqlalchemy import insert, update

from db.bulk import insert_rows
from db.models import Agent, AgentSchedule, CalendarDay, Meta, RelationshipManager, Team, User, UserRole
from db.seed.context import SeedContext
from lib import auth

# Public holidays and make-up working days, as the State Council announced them for 2026
# (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆); the administrator edits this calendar.
HOLIDAYS_2026 = {
    "元旦": ["2026-01-01", "2026-01-02", "2026-01-03"],
    "春节": [f"2026-02-{d:02d}" for d in range(15, 24)],
    "清明节": ["2026-04-04", "2026-04-05", "2026-04-06"],
    "劳动节": [f"2026-05-{d:02d}" for d in range(1, 6)],
    "端午节": ["2026-06-19", "2026-06-20", "2026-06-21"],
    "中秋节": ["2026-09-25", "2026-09-26", "2026-09-27"],
    "国庆节": [f"2026-10-{d:02d}" for d in range(1, 8)],
}
WORKDAYS_2026 = {"2026-01-04": "元旦调休", "2026-02-14": "春节调休", "2026-02-28": "春节调休",
                 "2026-05-09": "劳动节调休", "2026-09-20": "国庆节调休", "2026-10-10": "国庆节调休"}

BRANCHES = ["上海浦东支行", "上海静安支行", "上海徐汇支行", "上海黄浦支行"]

TEAMS = [
    # code, name, kind, agents
    ("CHAT1", "在线客服一组", "chat", 20),
    ("CHAT2", "在线客服二组", "chat", 20),
    ("CHAT3", "在线客服三组", "chat", 20),
    ("CHAT4", "在线客服四组", "chat", 20),
    ("CHAT5", "在线客服五组", "chat", 20),
    ("PHONE", "电话客服组", "phone", 20),
    ("CMPL", "投诉处理组", "complaints", 0),
    ("QA", "质量管理组", "qa", 0),
]

DEMO_LOGINS = [
    # username, display name, roles
    ("demo_admin", "演示管理员", ["admin"]),
    ("demo_manager", "演示经理", ["manager"]),
    ("demo_lead", "演示主管", ["team_lead"]),
    ("demo_qa", "演示质检", ["qa"]),
    ("demo_handler", "演示投诉专员", ["complaint_handler"]),
    ("demo_rm", "演示客户经理", ["rm"]),
    ("demo_agent", "演示客服", ["agent"]),
]


def _salt(ctx: SeedContext, i: int) -> bytes:
    # bcrypt salts from the seed so that seeding twice gives identical rows
    raw = ctx.sub_rng(f"salt{i}").randbytes(16)
    alphabet = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    std = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    enc = base64.b64encode(raw).rstrip(b"=").translate(bytes.maketrans(std, alphabet))[:22]
    return b"$2b$12$" + enc


def seed_core(ctx: SeedContext) -> None:
    rng = ctx.sub_rng("core")
    fake = ctx.fake
    created = datetime.combine(ctx.start, datetime.min.time()) - timedelta(days=30)
    ctx.branches = list(BRANCHES)
    conn = ctx.conn
    auth.ensure_roles(conn)
    conn.execute(insert(Meta), [{"key": "demo", "value": "1"}, {"key": "seed", "value": str(ctx.seed)},
                                {"key": "seed_size", "value": ctx.size}, {"key": "seed_today", "value": ctx.today.isoformat()}])
    conn.execute(insert(Meta).values(key="demo_cookie_key",
                                     value=base64.urlsafe_b64encode(rng.randbytes(32)).decode()))
    # calendar
    cal = [{"day": date.fromisoformat(d), "kind": "holiday", "name": n} for n, ds in HOLIDAYS_2026.items() for d in ds]
    cal += [{"day": date.fromisoformat(d), "kind": "workday", "name": n} for d, n in WORKDAYS_2026.items()]
    conn.execute(insert(CalendarDay), cal)

    # teams
    for i, (code, name, kind, _) in enumerate(TEAMS):
        tid = conn.execute(insert(Team).values(code=code, name=name, kind=kind, branch=BRANCHES[i % 2])
                           .returning(Team.id)).scalar_one()
        ctx.team_ids[code] = tid

    users: list[dict] = []
    roles: list[dict] = []
    uid = 0

    def add_user(username, display, role_list, *, team=None, branch=None, password=None):
        nonlocal uid
        uid += 1
        users.append({"id": uid, "username": username, "display_name": display, "email": None,
                      "password_hash": auth.hash_password(password, _salt(ctx, uid)) if password
                      else auth.UNUSABLE_PASSWORD,
                      "is_active": True, "language": "zh", "branch": branch, "team_id": team,
                      "failed_attempts": 0, "locked_until": None, "password_changed_at": created,
                      "created_at": created, "version": 1})
        roles.extend({"user_id": uid, "role": r} for r in role_list)
        ctx.user_ids[username] = uid
        return uid

    demo = {u: add_user(u, d, r, password=auth.DEMO_PASSWORD) for u, d, r in DEMO_LOGINS}
    # staff without a login until an administrator gives them a password
    for code, _, _kind, _ in TEAMS:
        tid = ctx.team_ids[code]
        lead = demo["demo_lead"] if code == "CHAT1" else add_user(
            f"lead_{code.lower()}", fake.name(), ["team_lead"], team=tid)
        ctx.lead_user_ids[tid] = lead
    users[demo["demo_lead"] - 1]["team_id"] = ctx.team_ids["CHAT1"]
    ctx.qa_user_ids = [demo["demo_qa"]] + [add_user(f"qa_{i:02d}", fake.name(), ["qa"], team=ctx.team_ids["QA"])
                                          for i in range(1, 6)]
    users[demo["demo_qa"] - 1]["team_id"] = ctx.team_ids["QA"]
    ctx.handler_user_ids = [demo["demo_handler"]] + [
        add_user(f"handler_{i:02d}", fake.name(), ["complaint_handler"], team=ctx.team_ids["CMPL"],
                 branch=BRANCHES[i % len(BRANCHES)]) for i in range(1, 8)]
    users[demo["demo_handler"] - 1].update(team_id=ctx.team_ids["CMPL"], branch=BRANCHES[0])

    # agents: demo_agent is the first agent of CHAT1
    agents = []
    aid = 0
    for code, _, _kind, n in TEAMS:
        for _ in range(n):
            aid += 1
            tid = ctx.team_ids[code]
            user_id = demo["demo_agent"] if aid == 1 else add_user(f"agent_{aid:03d}", fake.name(), ["agent"], team=tid)
            name = users[user_id - 1]["display_name"]
            agents.append({"id": aid, "employee_no": f"A{aid:04d}", "name": name, "team_id": tid,
                           "user_id": user_id, "branch": BRANCHES[aid % len(BRANCHES)],
                           "hired_on": ctx.start - timedelta(days=rng.randint(60, 3000)), "active": True})
            ctx.agent_team[aid] = tid
    users[demo["demo_agent"] - 1]["team_id"] = ctx.team_ids["CHAT1"]
    ctx.agent_ids = [a["id"] for a in agents]

    # relationship managers: demo_rm is the first (an intermediate RM)
    rms = []
    grades = ["junior"] * 20 + ["intermediate"] * 14 + ["senior"] * 6
    rng.shuffle(grades)
    grades[0] = "intermediate"
    for k in range(ctx.params["rms"]):
        rid = k + 1
        branch = BRANCHES[k % len(BRANCHES)]
        user_id = demo["demo_rm"] if rid == 1 else add_user(f"rm_{rid:03d}", fake.name(), ["rm"], branch=branch)
        rms.append({"id": rid, "employee_no": f"R{rid:04d}", "name": users[user_id - 1]["display_name"],
                    "grade": grades[k % len(grades)], "branch": branch, "user_id": user_id, "active": True,
                    "left_on": None})
        ctx.rm_grade[rid] = grades[k % len(grades)]
        ctx.rm_branch[rid] = branch
    users[demo["demo_rm"] - 1]["branch"] = BRANCHES[0]
    ctx.rm_ids = [r["id"] for r in rms]

    conn.execute(insert(User), users)
    conn.execute(insert(UserRole), roles)
    for tid, lead in ctx.lead_user_ids.items():
        conn.execute(update(Team).where(Team.id == tid).values(lead_user_id=lead))
    conn.execute(insert(Agent), agents)
    conn.execute(insert(RelationshipManager), rms)

    # rosters: a six-day week on average (four or five rest days a month), per agent
    def roster():
        d = ctx.start
        while d <= ctx.today + timedelta(days=14):
            for a in ctx.agent_ids:
                if rng.random() >= 4.3 / 30:
                    yield (a, d)
            d += timedelta(days=1)

    insert_rows(conn, AgentSchedule.__table__, ["agent_id", "work_date"], roster())

    from db.bulk import reset_sequences

    reset_sequences(conn, User.__table__, Agent.__table__, RelationshipManager.__table__, Team.__table__)
