"""Seed complaints with their whole history (domain.md §2).

Six months of complaints across every channel and category, most answered within
the 24-hour clock and followed up within 3 days, some late; a few regulator and
media cases, repeats, extensions and department requests; and a live queue on the
last day (unassigned, due soon, overdue, escalated). Every complaint has every
event that led to its state. Deterministic: randomness only from
``ctx.sub_rng("complaints")``, times relative to ``ctx.today``.

Sizes m and l (``ctx.params["complaints"]``) go through the same generator and
``db.bulk.insert_rows`` (COPY on PostgreSQL). No ``complaints_changed`` is emitted:
the KPI seeder rebuilds its rollups at the end.
"""

from __future__ import annotations

import bisect
import json
from datetime import datetime, time, timedelta

from sqlalchemy import select

from db.bulk import insert_rows, next_id, reset_sequences
from db.models import Agent, Client, Complaint, ComplaintEvent, ComplaintExtension, DepartmentRequest, User
from db.seed.context import SeedContext
from lib.calendar import to_local, to_utc
from lib.complaints import DEPARTMENTS, clocks, rollup
from lib.settings import defaults

CHANNEL_WEIGHTS = {"hotline": 34, "chat": 20, "weibo": 5, "sms": 4, "email": 8, "letter": 4, "branch": 19,
                   "regulator": 4, "media": 2}
CATEGORY_WEIGHTS = {"service": 22, "transaction_dispute": 20, "fees": 16, "product": 14, "technical": 12,
                    "privacy": 5, "credit_report": 6, "debt_collection": 5}
# which product categories (products.category) a complaint category concerns
PRODUCT_CATS = {"transaction_dispute": ["card", "settlement"], "fees": ["fee_service", "card", "deposit"],
                "product": ["wealth", "loan", "deposit"], "credit_report": ["loan", "credit_line"],
                "debt_collection": ["loan", "credit_line"], "technical": ["settlement", "card"]}
PRODUCT_TEXT = {"transaction_dispute": ["借记卡", "信用卡", "转账汇款"], "fees": ["账户管理费", "信用卡年费", "跨行手续费"],
                "product": ["理财产品", "个人消费贷款", "定期存款"], "credit_report": ["个人征信"],
                "debt_collection": ["信用卡分期", "个人消费贷款"], "technical": ["手机银行", "网上银行"],
                "service": [None], "privacy": [None]}
CAUSE_WEIGHTS = {"staff_error": 22, "process_gap": 20, "system_fault": 14, "product_design": 10, "third_party": 8,
                 "customer_misunderstanding": 18, "fraud": 3, "other": 5}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲飞桂芳鹏辉建华建国志强文斌海燕子轩梓涵浩然雨桐欣怡"

TEMPLATES = {
    "service": ["客户反映在{branch}办理业务时柜员态度冷淡，等候时间超过一小时，要求道歉。",
                "客户来电投诉客服人员用语不规范，未使用统一问候语，多次打断客户说话。",
                "客户称热线排队等待过久，转人工后被挂断两次，联系电话{phone}。"],
    "transaction_dispute": ["客户反映其卡号{card}的借记卡出现一笔不明扣款，金额{amount}元，要求查明并退还。",
                            "客户称通过手机银行向他行转账{amount}元未到账，对方未收到款项。",
                            "客户在ATM取款{amount}元，机器未出钞但账户已扣款，卡号{card}。"],
    "fees": ["客户对信用卡年费{amount}元的收取提出异议，称开卡时承诺首年免年费。",
             "客户反映账户被收取小额账户管理费，事先未收到通知，要求退还。",
             "客户认为提前还款违约金计算有误，多收{amount}元。"],
    "product": ["客户称购买理财产品时客户经理未充分揭示风险，产品净值下跌，要求赔偿。",
                "客户反映个人消费贷款利率与合同约定不符，多收利息{amount}元。",
                "客户对定期存款提前支取的利息计算有异议，身份证号{idno}。"],
    "technical": ["客户反映手机银行APP登录时反复闪退，无法办理转账，联系电话{phone}。",
                  "客户称网上银行系统升级期间交易失败但已扣款{amount}元。",
                  "客户反映短信验证码迟迟收不到，导致无法完成支付。"],
    "privacy": ["客户投诉频繁接到本行营销电话，已多次要求停止，号码{phone}。",
                "客户怀疑其个人信息被泄露，接到冒充本行的诈骗电话，身份证号{idno}。"],
    "credit_report": ["客户称征信报告中出现一笔并非本人办理的贷款逾期记录，要求更正。",
                      "客户已结清贷款，但征信记录未及时更新，影响其房贷审批。"],
    "debt_collection": ["客户投诉催收人员多次在夜间致电其家人，言语不当，号码{phone}。",
                        "客户称已还清欠款{amount}元，仍被持续催收。"],
}
REPLIES = ["已核实情况并向客户说明处理结果，客户表示理解。", "经核实属实，已为客户办理退款{amount}元。",
           "已联系相关部门处理，向客户致歉并说明整改措施。", "已向客户解释相关规定及收费依据。"]
FOLLOW_NOTES = {"satisfied": "回访客户，客户对处理结果表示满意。", "not_satisfied": "回访客户，客户对处理结果不满意，要求重新处理。",
                "unreachable": "三次回访均未接通，按规定记录。"}


_CUM: dict[int, tuple[list, list[float]]] = {}


def _weighted(rng, weights: dict):
    """One key of ``weights`` drawn with those weights (cumulative table built once per dict)."""
    table = _CUM.get(id(weights))
    if table is None:
        keys, acc, total = list(weights), [], 0.0
        for k in keys:
            total += weights[k]
            acc.append(total)
        table = _CUM[id(weights)] = (keys, acc)
    keys, acc = table
    return keys[bisect.bisect_right(acc, rng.random() * acc[-1])]


def _digits(rng, n: int) -> str:
    return str(rng.randrange(10 ** n)).zfill(n)


def _narrative(rng, category: str, branch: str) -> str:
    tpl = rng.choice(TEMPLATES[category])
    card = "6222" + _digits(rng, 12)
    if rng.random() < 0.4:
        card = " ".join(card[i:i + 4] for i in range(0, 16, 4))
    return tpl.format(branch=branch, phone="1" + rng.choice("3589") + _digits(rng, 9), card=card,
                      amount=rng.choice([58, 120, 300, 1_000, 2_580, 5_000, 12_000]),
                      idno="310" + _digits(rng, 3) + "19" + _digits(rng, 2) + "0" + str(rng.randint(1, 9))
                      + str(rng.randint(10, 28)) + _digits(rng, 3) + rng.choice("0123456789X"))


def seed(ctx: SeedContext) -> None:
    rng = ctx.sub_rng("complaints")
    conn = ctx.conn
    s = defaults()
    pol = clocks.policy_for(s, None)
    tz = s["ui.timezone"]
    lead_h, mgr_h = s["complaints.escalate_lead_after_hours"], s["complaints.escalate_manager_after_hours"]
    window = timedelta(days=s["complaints.repeat_window_days"])
    reply_h = timedelta(hours=pol.reply_hours)
    follow_d = timedelta(days=pol.follow_up_days)
    n_total = int(ctx.params["complaints"])
    demo = ctx.size == "demo"

    # the moment the data ends: the close of the last day (local), in UTC
    seed_now = to_utc(datetime.combine(ctx.today, time(23, 59)), tz)
    first = to_utc(datetime.combine(ctx.start, time(0, 0)), tz)
    span = (seed_now - first).total_seconds()

    handlers = conn.execute(select(User.id, User.branch, User.team_id)
                            .where(User.id.in_(ctx.handler_user_ids)).order_by(User.id)).all()
    handler_ids = [h.id for h in handlers]
    h_branch = {h.id: h.branch for h in handlers}
    h_team = {h.id: h.team_id for h in handlers}
    agent_rows = conn.execute(select(Agent.id, Agent.branch, Agent.user_id)).all()
    agent_branch = {a.id: a.branch for a in agent_rows}
    agent_user = {a.id: a.user_id for a in agent_rows}
    agent_ids = [a.id for a in agent_rows]
    rm_ids = list(ctx.rm_ids)
    supervisors = sorted({ctx.lead_user_ids.get(ctx.team_ids.get("CMPL")), ctx.user_ids.get("demo_manager")} - {None})
    branches = ctx.branches or ["总行营业部"]

    client_range = ctx.shared.get("client_id_range")
    client_names: dict[int, str] = {}
    if client_range:
        lo, hi = client_range
        client_names = dict(conn.execute(select(Client.id, Client.name).where(Client.id.between(lo, hi))).all())
        client_pool = sorted(client_names)
    product_ids: dict[str, list[int]] = ctx.shared.get("product_ids") or {}
    n_clients = max(50, n_total // 2)

    # acceptance times: spread over the period, more in working hours; a fuller last day (the live queue)
    last_day = [first + timedelta(seconds=span - rng.random() * 86_000) for _ in range(min(60, n_total // 40))]
    times = [first + timedelta(seconds=rng.random() * span) for _ in range(n_total - len(last_day))] + last_day
    times = [_shift_to_day(t_, rng, tz) for t_ in times]
    times = [min(t_, seed_now - timedelta(minutes=5)) for t_ in times]
    times.sort()

    cid0 = next_id(conn, Complaint.__table__)
    eid = next_id(conn, ComplaintEvent.__table__)
    xid = next_id(conn, ComplaintExtension.__table__)
    rid = next_id(conn, DepartmentRequest.__table__)

    c_rows: list[tuple] = []
    e_rows: list[tuple] = []
    x_rows: list[tuple] = []
    r_rows: list[tuple] = []
    assigned_count = {h: 0 for h in handler_ids}
    by_client: dict[object, list[tuple]] = {}  # client key -> [(accepted, id, category, product)]
    recent: list[tuple] = []  # (accepted, client key, category, product, client_id, client_name)
    recent_keys: list[datetime] = []

    def ev(cid, at, actor, kind, frm, to, detail=None):
        nonlocal eid
        e_rows.append((eid, cid, at, actor, kind, frm, to,
                       None if detail is None else json.dumps(detail, ensure_ascii=False)))
        eid += 1

    for i, acc in enumerate(times):
        cid = cid0 + i
        category = _weighted(rng, CATEGORY_WEIGHTS)
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        # a repeat: the same client again on the same category within the window
        cands_from = bisect.bisect_left(recent_keys, acc - window)
        if rng.random() < 0.06 and cands_from < len(recent):
            _, ckey, category, prod, client_id, client_name = recent[rng.randrange(cands_from, len(recent))]
            product_id, product_text = prod
        else:
            if client_names:
                client_id = client_pool[rng.randrange(len(client_pool))]
                client_name = client_names[client_id]
            else:
                client_id = None
                k = rng.randrange(n_clients)
                client_name = SURNAMES[k % len(SURNAMES)] + GIVEN[(k * 7) % len(GIVEN)] + (
                    GIVEN[(k * 13) % len(GIVEN)] if k % 3 else "")
            pcats = [pid for pc in PRODUCT_CATS.get(category, []) for pid in product_ids.get(pc, [])]
            product_id = rng.choice(pcats) if pcats else None
            product_text = None if product_id else rng.choice(PRODUCT_TEXT[category])
            ckey = client_id if client_id is not None else ("name", client_name)
        prod = (product_id, product_text)
        # repeat detection, exactly as the service does it
        repeat_of = None
        for (a_at, a_id, a_cat, a_prod) in reversed(by_client.get(ckey, [])):
            if acc - a_at > window:
                break
            if a_cat == category or (prod[0] is not None and a_prod[0] == prod[0]) or (
                    prod[0] is None and prod[1] and a_prod[1] == prod[1]):
                repeat_of = a_id
                break
        by_client.setdefault(ckey, []).append((acc, cid, category, prod))
        recent.append((acc, ckey, category, prod, client_id, client_name))
        recent_keys.append(acc)

        subcategory = rng.choice(s["complaints.categories"][category])
        severity = rng.choices(("low", "medium", "high"), (30, 55, 15))[0]
        regulator = channel == "regulator" or rng.random() < 0.004
        media = channel == "media" or (channel == "weibo" and rng.random() < 0.3)
        vulnerable = rng.random() < 0.05
        subject_agent = subject_rm = None
        r = rng.random()
        if r < 0.3 and agent_ids:
            subject_agent = agent_ids[rng.randrange(len(agent_ids))]
            subject_branch = agent_branch[subject_agent]
        elif r < 0.4 and rm_ids:
            subject_rm = rm_ids[rng.randrange(len(rm_ids))]
            subject_branch = ctx.rm_branch.get(subject_rm)
        elif r < 0.6:
            subject_branch = rng.choice(branches)
        else:
            subject_branch = None
        narrative = _narrative(rng, category, subject_branch or rng.choice(branches))
        r_due = r_due0 = acc + reply_h
        o_due = acc + timedelta(days=pol.outer_limit_days)

        # --- the life of the complaint -------------------------------------------------------
        stalled = rng.random() < 0.025  # cases that get stuck (the overdue tail)
        t_assign = acc + timedelta(minutes=rng.choice((3, 8, 15, 25, 40, 60, 90, 180)))
        if acc > seed_now - timedelta(hours=9) and rng.random() < 0.5:
            t_assign = None  # the unassigned part of the live queue
        elif stalled and rng.random() < 0.25:
            t_assign = acc + timedelta(hours=rng.uniform(20, 60))
        t_start = t_assign + timedelta(minutes=rng.uniform(5, 120)) if t_assign else None
        dept = rng.random() < (0.25 if category in ("technical", "transaction_dispute") else 0.08)
        t_ask = t_answer = None
        if t_start and dept:
            t_ask = t_start + timedelta(minutes=rng.uniform(20, 180))
            t_answer = t_ask + timedelta(hours=rng.choice((2, 3, 5, 6, 8, 10, 12, 14, 16, 20, 30, 60)))
        base = t_answer or t_start
        if base is None:
            t_reply = None
        else:
            u = rng.random()
            if stalled:
                delay = timedelta(hours=rng.uniform(30, 24 * 30))
            elif u < 0.90:
                delay = timedelta(hours=min(rng.lognormvariate(1.4, 0.8), 20.0))
            elif u < 0.97:
                delay = timedelta(hours=rng.uniform(20, 40))
            else:
                delay = timedelta(hours=rng.uniform(40, 110))
            t_reply = max(base + timedelta(minutes=10), t_start + delay) if not dept else base + timedelta(
                hours=rng.uniform(0.5, 3))
        u = rng.random()
        outcome = "satisfied" if u < 0.80 else ("not_satisfied" if u < 0.91 else "unreachable")
        t_follow = None
        if t_reply:
            v = rng.random()
            follow_delay = timedelta(hours=rng.uniform(3, 68)) if v < 0.86 else timedelta(hours=rng.uniform(72, 150))
            t_follow = t_reply + follow_delay
        t_reopen_reply = t_follow2 = None
        if t_follow and outcome == "not_satisfied":
            t_reopen_reply = t_follow + timedelta(hours=rng.uniform(3, 30))
            t_follow2 = t_reopen_reply + timedelta(hours=rng.uniform(4, 60))
        last_follow = t_follow2 or t_follow
        t_close = last_follow + timedelta(hours=rng.uniform(0.5, 20)) if last_follow else None
        extension = (regulator or severity == "high") and rng.random() < 0.25
        ext_days: list[int] = []
        if extension and t_close:
            t_close = acc + timedelta(days=rng.uniform(16, 28))
            ext_days = [pol.extension_days[0]]
            if rng.random() < 0.2 and len(pol.extension_days) > 1:
                t_close = acc + timedelta(days=rng.uniform(31, 50))
                ext_days.append(pol.extension_days[1])
            # the follow-up still happens before the close
            if last_follow and last_follow > t_close:
                t_close = last_follow + timedelta(hours=2)

        # --- cut at the end of the data, and write every event --------------------------------
        def happened(x):
            return x is not None and x <= seed_now

        actor_creator = handler_ids[i % len(handler_ids)] if channel in ("branch", "letter", "email") else None
        status = "accepted"
        ev(cid, acc, actor_creator, "created", None, "accepted",
           {"channel": channel, "category": category, **({"repeat_of_id": repeat_of} if repeat_of else {})})
        assignee = team = None
        if happened(t_assign):
            cands = [h for h in handler_ids if not _conflict(h, subject_agent, subject_rm, subject_branch,
                                                             agent_user, ctx, h_branch)]
            assignee = min(cands or handler_ids, key=lambda h: (assigned_count[h], rng.random()))
            assigned_count[assignee] += 1
            team = h_team[assignee]
            lead = ctx.lead_user_ids.get(team)
            ev(cid, t_assign, lead if rng.random() < 0.3 else assignee, "assigned", "accepted", "assigned",
               {"to_user_id": assignee})
            status = "assigned"
        if happened(t_start):
            ev(cid, t_start, assignee, "status", "assigned", "handling")
            status = "handling"
        req_row = None
        if happened(t_ask):
            due = t_ask + timedelta(hours=48)
            dept_name = rng.choice(DEPARTMENTS)
            answered = t_answer if happened(t_answer) else None
            req_row = (rid, cid, dept_name, assignee, t_ask, due, answered,
                       "已核查交易流水，确认系统处理异常，已发起差错调整。" if answered else None)
            r_rows.append(req_row)
            ev(cid, t_ask, assignee, "dept_request", status, status,
               {"request_id": rid, "department": dept_name, "due_at": due.isoformat(), "text": "请协助核查并于48小时内反馈。"})
            if answered:
                ev(cid, answered, assignee, "dept_answer", status, status,
                   {"request_id": rid, "department": dept_name, "on_time": answered <= due})
            rid += 1
        if extension:
            approved = acc + timedelta(days=pol.outer_limit_days - 2)
            new_outer = acc + timedelta(days=pol.outer_limit_days)
            for k, days in enumerate(ext_days):
                at = approved + timedelta(days=sum(ext_days[:k]))
                if at > seed_now:
                    break
                new_outer = new_outer + timedelta(days=days)
                who = supervisors[k % len(supervisors)] if supervisors else None
                if who is None:
                    break
                x_rows.append((xid, cid, days, who, at, "需其他部门调查取证，无法在期限内办结。", at + timedelta(hours=2), new_outer))
                xid += 1
                ev(cid, at, who, "extension", status, status, {"days": days, "new_outer_due_at": new_outer.isoformat()})
                o_due = new_outer
        replied_at = reply_on_time = f_due = followed_up_at = follow_on_time = fo = closed_at = None
        if happened(t_reply):
            replied_at = t_reply
            reply_on_time = t_reply <= r_due
            f_due = t_reply + follow_d
            ev(cid, t_reply, assignee, "status", status, "replied",
               {"text": REPLIES[rng.randrange(len(REPLIES))].format(amount=rng.choice((50, 120, 300))),
                "on_time": reply_on_time})
            status = "replied"
        if happened(t_follow):
            followed_up_at = t_follow
            follow_on_time = t_follow <= f_due
            fo = outcome
            to = "handling" if outcome == "not_satisfied" else "followed_up"
            ev(cid, t_follow, assignee, "follow_up", "replied", to, {"outcome": outcome, "text": FOLLOW_NOTES[outcome]})
            status = to
            if to == "handling":
                r_due = t_follow + reply_h
                f_due = None
        if happened(t_reopen_reply):
            f_due = t_reopen_reply + follow_d
            ev(cid, t_reopen_reply, assignee, "status", "handling", "replied", {"text": REPLIES[2]})
            status = "replied"
        if happened(t_follow2):
            ev(cid, t_follow2, assignee, "follow_up", "replied", "followed_up",
               {"outcome": "satisfied", "text": FOLLOW_NOTES["satisfied"]})
            status = "followed_up"
        if happened(t_close):
            closed_at = t_close
            ev(cid, t_close, assignee, "status", "followed_up", "closed")
            status = "closed"

        # supervision (督办): escalations while a clock was overdue
        past = 0
        if replied_at and not reply_on_time:
            past = clocks.escalation_level(r_due0, replied_at, lead_h, mgr_h)
            for lvl in range(1, past + 1):
                ev(cid, r_due0 + timedelta(hours=lead_h if lvl == 1 else mgr_h), None, "escalated", None, None,
                   {"level": lvl, "clock": "reply"})
        if status == "closed":
            esc = past
        else:
            kind, _d = clocks.active_clock(status, r_due, f_due, o_due)
            late_from = clocks.overdue_since(status, seed_now, r_due, f_due, o_due)
            esc = clocks.escalation_level(late_from, seed_now, lead_h, mgr_h)
            if not (kind == "reply" and replied_at is None and past):
                for lvl in range(1, esc + 1):
                    ev(cid, late_from + timedelta(hours=lead_h if lvl == 1 else mgr_h), None, "escalated", None,
                       None, {"level": lvl, "clock": kind})
        due = None if status == "closed" else clocks.due_at(status, r_due, f_due, o_due)
        cause = _weighted(rng, CAUSE_WEIGHTS) if replied_at else None
        dept_fault = rng.choice(DEPARTMENTS) if replied_at and rng.random() < 0.7 else None
        ref = f"TS{to_local(acc, tz):%Y%m%d}{cid:07d}"
        c_rows.append((
            cid, ref, None, "seed", channel, client_id, client_name, product_id, product_text, category, subcategory,
            cause, narrative, severity, regulator, media, vulnerable, status, acc, assignee, team, subject_agent,
            subject_rm, subject_branch, dept_fault, r_due, replied_at, f_due, followed_up_at, fo, o_due, due,
            reply_on_time, follow_on_time, closed_at, esc, repeat_of, None,
            actor_creator, 1 + len([e for e in (t_assign, t_start, t_reply, t_follow, t_close) if happened(e)]),
        ))
        if (i + 1) % 20_000 == 0 or i + 1 == n_total:
            ctx.report("complaints", i + 1, n_total)
        if not demo and len(c_rows) >= 50_000:
            _flush(conn, c_rows, e_rows, x_rows, r_rows)
    _flush(conn, c_rows, e_rows, x_rows, r_rows)
    reset_sequences(conn, Complaint.__table__, ComplaintEvent.__table__, ComplaintExtension.__table__,
                    DepartmentRequest.__table__)
    # the monthly report's rollup, every month from the rows just written
    rollup.build_all(conn, tz)


COMPLAINT_COLUMNS = [
    "id", "ref_no", "external_id", "source", "channel", "client_id", "client_name", "product_id", "product_text",
    "category", "subcategory", "cause_code", "narrative", "severity", "regulator_referral", "media_risk",
    "vulnerable_customer", "status", "accepted_at", "assigned_to", "team_id", "subject_agent_id", "subject_rm_id",
    "subject_branch", "dept_at_fault", "reply_due_at", "replied_at", "follow_up_due_at", "followed_up_at",
    "follow_up_outcome", "outer_due_at", "due_at", "reply_on_time", "follow_up_on_time", "closed_at",
    "escalation_level", "repeat_of_id", "company_response", "created_by", "version",
]


def _flush(conn, c_rows, e_rows, x_rows, r_rows) -> None:
    insert_rows(conn, Complaint.__table__, COMPLAINT_COLUMNS, c_rows)
    insert_rows(conn, ComplaintEvent.__table__,
                ["id", "complaint_id", "at", "actor_user_id", "kind", "from_status", "to_status", "detail_json"],
                e_rows)
    insert_rows(conn, ComplaintExtension.__table__,
                ["id", "complaint_id", "days", "approved_by", "approved_at", "reason", "customer_told_at",
                 "new_outer_due_at"], x_rows)
    insert_rows(conn, DepartmentRequest.__table__,
                ["id", "complaint_id", "department", "asked_by", "asked_at", "due_at", "answered_at", "answer"],
                r_rows)
    for rows in (c_rows, e_rows, x_rows, r_rows):
        rows.clear()


def _conflict(handler, subject_agent, subject_rm, subject_branch, agent_user, ctx, h_branch) -> bool:
    if subject_agent is not None and agent_user.get(subject_agent) == handler:
        return True
    if subject_rm is not None and ctx.user_ids.get(f"rm_{subject_rm:03d}") == handler:
        return True
    return bool(subject_branch and h_branch.get(handler) == subject_branch)


def _shift_to_day(t_utc: datetime, rng, tz: str) -> datetime:
    """Most complaints arrive between 08:00 and 21:00 local time: move the hour, keep the day."""
    if rng.random() >= 0.9:
        return t_utc
    local = to_local(t_utc, tz)
    local = local.replace(hour=rng.choice((8, 9, 9, 10, 10, 11, 11, 13, 14, 14, 15, 15, 16, 17, 19, 20)))
    return to_utc(local, tz)
