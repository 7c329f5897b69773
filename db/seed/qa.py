"""Seed the QA area: chats with per-message times, automatic checks, rubric v1, daily samples,
reviews, a closed month, disputes and a calibration session (domain.md §3).

Demo: a handful of chats a day per chat agent (some days more than 20, so the daily cap
bites), six months on their rostered days. Sizes m and l spread ctx.params["chats"] over
the same agent-days with about 15 messages each, bulk loaded (COPY on PostgreSQL).
Randomness only from ctx.sub_rng("qa"); times relative to ctx.today.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from db.bulk import insert_rows, reset_sequences
from db.models import (
    AgentSchedule,
    CalibrationItem,
    CalibrationReviewer,
    CalibrationSession,
    Chat,
    ChatCheck,
    ChatMessage,
    Dispute,
    MonthClosure,
    MonthResult,
    Review,
    ReviewResult,
    Sample,
    SampleDraw,
)
from db.seed.context import SeedContext
from lib import settings as settings_mod
from lib.qa import rubric as rubric_mod
from lib.qa.checks import Phrases, Turn, run_checks, suggestions
from lib.qa.points import _live_month
from lib.qa.rules import verdict
from lib.qa.sampling_rules import draw, spread

GREETINGS = ["您好，很高兴为您服务，请问有什么可以帮您？", "您好，我是在线客服，有什么可以帮您？",
             "您好，欢迎咨询在线客服，请问有什么问题我可以帮您？"]
QUESTIONS = ["我的信用卡账单在哪里查询？", "手机银行转账一直显示失败，怎么回事？", "想问一下大额存单怎么购买",
             "我的银行卡被锁了，怎么解锁？", "手机银行登录提示密码错误次数过多", "理财产品到期后资金多久到账？",
             "房贷想提前还一部分，需要什么手续？", "境外刷卡消费有手续费吗？", "预留手机号换了，怎么修改？",
             "借记卡丢了，要挂失", "信用卡额度能不能提高一点？", "昨天的转账对方还没收到", "怎么开通短信提醒？",
             "工资卡可以办理跨行自动还款吗？", "网银U盾过期了怎么更新？"]
REPLIES = ["请稍等，正在为您查询。", "您可以在手机银行首页点击“我的账户”查看明细。",
           "根据您的描述，建议您携带本人身份证到就近网点办理。", "该业务需要本人持有效身份证件办理。",
           "已为您登记申请，预计1-3个工作日处理完成，结果会短信通知您。",
           "跨行转账一般实时到账，个别情况会延迟到下一个工作日。", "您可以在手机银行“设置-安全中心”中自助操作。",
           "为了您的账户安全，请不要向任何人透露验证码。", "系统显示该笔交易已成功受理，请耐心等待。",
           "额度调整需要综合评估您的用卡情况，我已帮您提交申请。"]
FOLLOW_UPS = ["好的", "那大概要多久？", "还有别的办法吗？", "可以电话办理吗？", "明白了", "需要带什么材料？",
              "收到", "那我明天去网点"]
CLOSINGS = ["请问还有其他可以帮您的吗？感谢您的耐心，祝您生活愉快，再见！", "感谢您的咨询，祝您生活愉快，再见！",
            "谢谢您的来访，欢迎再次咨询，再见！"]
PLAIN_ENDS = ["好的。", "嗯，就这样。", "已处理。"]
FORBIDDEN = ["这个我也不知道。", "没办法，系统就是这样的。", "你自己看说明吧。"]
APOLOGY = "非常抱歉让您久等了，"
CHANNELS = ["web", "app", "wechat"]

# flaws that make a chat unqualified under rubric v1 (greeting+closing missing scores 80 < 90;
# a slow reply fails response_60s: 85; a forbidden phrase fails the critical wording criterion)
FLAWS = ("no_greeting_closing", "slow", "forbidden", "attitude")


def _profiles(rng, agents):
    """Per agent the chance of a bad day (4+ unqualified): spread so every bonus tier occurs."""
    out = {}
    bands = [0.0] * 40 + [0.04] * 25 + [0.22] * 15 + [0.42] * 10 + [0.62] * 10
    for i, a in enumerate(agents):
        out[a] = bands[(i * 37) % len(bands)] if i else 0.04
        out[a] = max(0.0, out[a] + rng.uniform(-0.02, 0.02))
    return out


def _make_chat(rng, n_msgs: int, flaw: str | None, minor: bool, start_utc: datetime):
    """Turns of one chat: (speaker, text, ts)."""
    turns = []
    t = start_utc
    # customer opens
    turns.append(("customer", rng.choice(QUESTIONS), t))
    t += timedelta(seconds=rng.randint(3, 25))
    first = rng.choice(GREETINGS) if flaw != "no_greeting_closing" else rng.choice(REPLIES)
    turns.append(("agent", first, t))
    slow_at = rng.randint(2, max(2, n_msgs - 2)) if flaw == "slow" else -1
    while len(turns) < n_msgs - 1:
        t += timedelta(seconds=rng.randint(5, 90))
        turns.append(("customer", rng.choice(FOLLOW_UPS) if len(turns) > 2 else rng.choice(QUESTIONS), t))
        if len(turns) >= slow_at > 0 and flaw == "slow":
            wait = rng.randint(75, 400)
            slow_at = -1
            body = (APOLOGY if rng.random() < 0.7 else "") + rng.choice(REPLIES)
        else:
            wait = rng.randint(2, 45) if rng.random() < 0.93 else rng.randint(45, 58)
            body = rng.choice(REPLIES)
        if flaw == "forbidden" and rng.random() < 0.5:
            body = rng.choice(FORBIDDEN)
            flaw = "forbidden_done"
        t += timedelta(seconds=wait)
        turns.append(("agent", body, t))
    t += timedelta(seconds=rng.randint(3, 30))
    if flaw == "forbidden":
        end = rng.choice(FORBIDDEN) + rng.choice(CLOSINGS)
    elif flaw == "no_greeting_closing" or minor:
        end = rng.choice(PLAIN_ENDS)
    else:
        end = rng.choice(CLOSINGS)
    turns.append(("agent", end, t))
    return turns


def _bulk(conn, table, cols, rows) -> None:
    """COPY on PostgreSQL (db.bulk); on SQLite a raw executemany of tuples inside the same transaction,
    with values in SQLAlchemy's SQLite storage format (several times faster than Core's dict path)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        insert_rows(conn, table, cols, rows)
        return
    from sqlalchemy import Date, DateTime, Numeric

    types = [table.c[c].type for c in cols]
    dt_idx = [i for i, t in enumerate(types) if isinstance(t, DateTime)]
    d_idx = [i for i, t in enumerate(types) if isinstance(t, Date) and not isinstance(t, DateTime)]
    n_idx = [i for i, t in enumerate(types) if isinstance(t, Numeric)]

    def conv(r):
        r = list(r)
        for i in dt_idx:
            v = r[i]
            if v is not None:
                r[i] = v.isoformat(" ") + ".000000" if not v.microsecond else v.isoformat(" ")
        for i in d_idx:
            if r[i] is not None:
                r[i] = r[i].isoformat()
        for i in n_idx:
            if r[i] is not None:
                r[i] = float(r[i])
        return r

    sql = f'INSERT INTO "{table.name}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'  # noqa: S608
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.executemany(sql, [conv(r) for r in rows])
    finally:
        cur.close()


class _Buffers:
    def __init__(self, conn, flush_at: int):
        self.conn = conn
        self.flush_at = flush_at
        self.chats, self.msgs, self.checks = [], [], []
        self.draws, self.samples, self.reviews, self.results = [], [], [], []

    def flush(self, force=False):
        """Write what has piled up (parents before children), so that size l stays in bounded memory."""
        if not force and len(self.msgs) + len(self.results) < self.flush_at:
            return
        _bulk(self.conn, Chat.__table__, CHAT_COLS, self.chats)
        _bulk(self.conn, ChatMessage.__table__, ["id", "chat_id", "seq", "speaker", "ts", "text"], self.msgs)
        _bulk(self.conn, ChatCheck.__table__, CHECK_COLS, self.checks)
        _bulk(self.conn, SampleDraw.__table__, ["id", "work_date", "agent_id", "seed", "sample_size",
                                                "candidate_ids_json", "drawn_at", "drawn_by"], self.draws)
        _bulk(self.conn, Sample.__table__, ["id", "draw_id", "work_date", "agent_id", "chat_id", "reviewer_user_id",
                                            "status"], self.samples)
        _bulk(self.conn, Review.__table__, ["id", "sample_id", "calibration_session_id", "chat_id", "agent_id",
                                            "work_date", "reviewer_user_id", "rubric_version_id", "score",
                                            "qualified", "comment", "created_at", "updated_at", "version"],
              self.reviews)
        _bulk(self.conn, ReviewResult.__table__, ["review_id", "criterion_id", "result", "suggested"], self.results)
        for lst in (self.chats, self.msgs, self.checks, self.draws, self.samples, self.reviews, self.results):
            lst.clear()


CHAT_COLS = ["id", "conversation_id", "source", "language", "agent_id", "agent_ref", "channel", "client_id",
             "started_at", "ended_at", "work_date", "message_count", "has_timestamps", "imported_at"]
CHECK_COLS = ["chat_id", "checked_at", "settings_version_id", "greeting_ok", "closing_ok", "first_response_s",
              "slow_replies", "max_wait_s", "agent_replies", "forbidden_hits", "apology_needed", "apology_ok"]


def seed(ctx: SeedContext) -> None:
    rng = ctx.sub_rng("qa")
    conn = ctx.conn
    settings = settings_mod.defaults()
    phrases = Phrases(settings)
    zone = ZoneInfo(settings["ui.timezone"])
    chat_teams = {tid for code, tid in ctx.team_ids.items() if code.startswith("CHAT")}
    agents = [a for a in ctx.agent_ids if ctx.agent_team.get(a) in chat_teams]
    if not agents:
        return
    imported = datetime.combine(ctx.today, time(20, 0))
    rubric_mod.ensure_default(conn, at=datetime.combine(ctx.start, time(0, 0)) - timedelta(days=1))
    rub = rubric_mod.current(conn)
    crit_rules = rub.rules()
    sched = defaultdict(list)
    for a, d in conn.execute(select(AgentSchedule.agent_id, AgentSchedule.work_date)
                             .where(AgentSchedule.work_date >= ctx.start, AgentSchedule.work_date <= ctx.today,
                                    AgentSchedule.agent_id.in_(agents)).order_by(AgentSchedule.work_date,
                                                                                 AgentSchedule.agent_id)):
        sched[d].append(a)
    days = sorted(sched)
    agent_days = sum(len(v) for v in sched.values())
    demo = ctx.size == "demo"
    if demo:
        per_day, msgs_lo, msgs_hi = float(ctx.params.get("chats_per_agent_day") or 5), 4, 8
    else:
        per_day, msgs_lo, msgs_hi = ctx.params["chats"] / max(agent_days, 1), 11, 19
    total_chats = int(per_day * agent_days) if not demo else None
    profile = _profiles(rng, agents)
    clients = ctx.shared.get("client_id_range")
    size = int(settings["qa.daily_sample_size"])
    limit = int(settings["qa.unqualified_limit"])
    reviewers = list(ctx.qa_user_ids)
    pending_from = ctx.today - timedelta(days=1)  # the last two days stay in the queue
    buf = _Buffers(conn, 200_000)
    chat_id = msg_id = 1
    draw_id = sample_id = review_id = 1
    draws, samples, reviews, results = buf.draws, buf.samples, buf.reviews, buf.results
    produced = 0
    cal_day = ctx.today - timedelta(days=8)
    cal_candidates: list[tuple[tuple, dict]] = []  # (review row, results) of one day, for calibration
    unq_reviews_recent = []
    offset = datetime.combine(ctx.today, time(12)).replace(tzinfo=zone).utcoffset()
    for di, d in enumerate(days):
        day_start_utc = datetime.combine(d, time(0)) - offset
        for a in sched[d]:
            if demo:
                n = rng.randint(2, 7) if rng.random() > 0.025 else rng.randint(21, 26)
            else:
                remaining = total_chats - produced
                n = max(1, int(rng.gauss(per_day, per_day * 0.25))) if remaining > 0 else 0
                n = min(n, remaining)
            if n <= 0:
                continue
            bad = rng.random() < profile[a]
            if bad:
                n = max(n, 5)
            flaws: list[str | None] = [None] * n
            if bad:
                k = rng.randint(limit, min(n, limit + 2))
                for i in rng.sample(range(min(n, size)), min(k, min(n, size))):
                    flaws[i] = rng.choice(FLAWS)
            else:
                cap = rng.choice([0] * 9 + [1, 1, 2, limit - 1])
                for i in rng.sample(range(n), min(cap, n)):
                    if rng.random() < 0.6:
                        flaws[i] = rng.choice(FLAWS)
            pool = []
            chat_flaw = {}
            for i in range(n):
                start = day_start_utc + timedelta(seconds=rng.randint(9 * 3600, 20 * 3600))
                nm = rng.randint(msgs_lo, msgs_hi)
                turns = _make_chat(rng, nm, flaws[i], rng.random() < 0.06, start)
                cid = chat_id
                chat_id += 1
                buf.chats.append((cid, f"S{cid:09d}", "seed", "zh-CN", a, None, rng.choice(CHANNELS),
                                  rng.randint(*clients) if clients and rng.random() < 0.6 else None,
                                  turns[0][2], turns[-1][2], d, len(turns), True, imported))
                for seq, (sp, tx, ts) in enumerate(turns, 1):
                    buf.msgs.append((msg_id, cid, seq, sp, ts, tx))
                    msg_id += 1
                chk = run_checks([Turn(sp, tx, ts) for sp, tx, ts in turns], phrases)
                row = chk.row()
                buf.checks.append((cid, imported, None, row["greeting_ok"], row["closing_ok"],
                                   row["first_response_s"], row["slow_replies"], row["max_wait_s"],
                                   row["agent_replies"], row["forbidden_hits"], row["apology_needed"],
                                   row["apology_ok"]))
                pool.append(cid)
                chat_flaw[cid] = (flaws[i], row)
            produced += n
            # the day's provable draw
            seed_text = f"{rng.getrandbits(64):016x}"
            picked = draw(pool, size, seed_text)
            draws.append((draw_id, d, a, seed_text, size, json.dumps(pool), datetime.combine(d, time(23, 30)) - offset,
                          None))
            who = spread(picked, reviewers, offset=d.toordinal() + a)
            for cid, r in zip(picked, who, strict=True):
                reviewed = d < pending_from
                samples.append((sample_id, draw_id, d, a, cid, r, "reviewed" if reviewed else "pending"))
                if reviewed:
                    flaw, chk = chat_flaw[cid]
                    sugg = suggestions(chk)
                    res = {k: (v or "pass") for k, v in sugg.items()}
                    if flaw == "attitude":
                        res["attitude"] = "fail"
                    elif flaw == "forbidden_done":
                        res["wording"] = "fail"
                    if rng.random() < 0.04 and res["knowledge"] == "pass":
                        res["handling"] = "na"
                    score, ok = verdict(crit_rules, res, rub.pass_mark)
                    at = datetime.combine(d + timedelta(days=1), time(2 + rng.randint(0, 7), rng.randint(0, 59)))
                    row = (review_id, sample_id, None, cid, a, d, r, rub.id, score, ok,
                           None if ok else "未达标：" + "、".join(c.name_zh for c in rub.criteria
                                                              if res[c.code] == "fail"),
                           at, at, 1)
                    reviews.append(row)
                    if d == cal_day:
                        cal_candidates.append((row, res))
                    for c in rub.criteria:
                        results.append((review_id, c.id, res[c.code], sugg[c.code]))
                    if not ok and d >= ctx.today - timedelta(days=6):
                        unq_reviews_recent.append((review_id, a, d, cid, res))
                    review_id += 1
                sample_id += 1
            draw_id += 1
        buf.flush()
        ctx.report("qa chats", di + 1, len(days))
    buf.flush(force=True)
    ctx.report("qa reviews", 1, 1)

    # disputes: a few on recent unqualified reviews of CHAT1 (demo_agent is agent 1)
    chat1 = ctx.team_ids.get("CHAT1")
    lead = ctx.lead_user_ids.get(chat1)
    from db.models import Agent

    agent_user = dict(conn.execute(select(Agent.id, Agent.user_id)).all())
    mine = [r for r in unq_reviews_recent if ctx.agent_team.get(r[1]) == chat1]
    rng.shuffle(mine)
    mine.sort(key=lambda r: r[1] != 1)  # demo_agent's first
    disputes = []
    crit_by_code = {c.code: c for c in rub.criteria}
    for k, (rid, a, d, _cid, res) in enumerate(mine[:8]):
        raised = datetime.combine(d + timedelta(days=1), time(9, 30))
        status = ["open", "open", "rejected", "accepted", "open", "rejected", "accepted", "open"][k]
        row = {"id": k + 1, "review_id": rid, "agent_id": a, "raised_by": agent_user.get(a), "raised_at": raised,
               "reason": "客户当时情况特殊，我已及时处理，请复核。", "status": status, "decided_by": None,
               "decided_at": None, "decision_reason": None, "before_json": None, "version": 1}
        if status != "open":
            row.update(decided_by=lead, decided_at=raised + timedelta(hours=5), version=2,
                       decision_reason="复核后维持原判。" if status == "rejected" else "复核属实，改为合格。")
        if status == "accepted":
            new = {c: ("pass" if v == "fail" else v) for c, v in res.items()}
            score, ok = verdict(crit_rules, new, rub.pass_mark)
            row["before_json"] = json.dumps({"results": res, "qualified": False}, ensure_ascii=False)
            from sqlalchemy import delete, update

            conn.execute(update(Review).where(Review.id == rid).values(qualified=ok, score=score, version=2,
                                                                      updated_at=raised + timedelta(hours=5)))
            conn.execute(delete(ReviewResult).where(ReviewResult.review_id == rid))
            conn.execute(insert(ReviewResult), [{"review_id": rid, "criterion_id": crit_by_code[c].id, "result": v,
                                                 "suggested": None} for c, v in new.items()])
        disputes.append(row)
    if disputes:
        conn.execute(insert(Dispute), disputes)

    # a calibration session: eight reviewed chats, three reviewers scoring blind
    if len(reviewers) >= 3 and cal_candidates:
        creator = lead or reviewers[0]
        sid = conn.execute(insert(CalibrationSession).values(
            name="月度校准 " + (ctx.today - timedelta(days=7)).strftime("%Y-%m-%d"), created_by=creator,
            created_at=datetime.combine(ctx.today - timedelta(days=7), time(2)),
            rubric_version_id=rub.id, closed_at=None).returning(CalibrationSession.id)).scalar_one()
        # half unqualified, half qualified, so that every verdict occurs and kappa is defined
        picked = [c for c in cal_candidates if not c[0][9]][:4] + [c for c in cal_candidates if c[0][9]][:4]
        picks = [row for row, _ in picked]
        conn.execute(insert(CalibrationItem), [{"session_id": sid, "chat_id": r[3]} for r in picks])
        cal_reviewers = reviewers[:3]
        conn.execute(insert(CalibrationReviewer), [{"session_id": sid, "user_id": u} for u in cal_reviewers])
        rows, rres = [], []
        next_rid = review_id
        res_by_review = {row[0]: res for row, res in picked}
        for p in picks:
            for u in cal_reviewers:
                res = dict(res_by_review[p[0]])
                for c in rub.criteria:
                    if rng.random() < 0.04:
                        res[c.code] = "fail" if res[c.code] == "pass" else "pass"
                score, ok = verdict(crit_rules, res, rub.pass_mark)
                at = datetime.combine(ctx.today - timedelta(days=6), time(3))
                rows.append({"id": next_rid, "sample_id": None, "calibration_session_id": sid, "chat_id": p[3],
                             "agent_id": p[4], "work_date": p[5], "reviewer_user_id": u, "rubric_version_id": rub.id,
                             "score": score, "qualified": ok, "comment": None, "created_at": at, "updated_at": at,
                             "version": 1})
                rres.extend({"review_id": next_rid, "criterion_id": c.id, "result": res[c.code], "suggested": None}
                            for c in rub.criteria)
                next_rid += 1
        conn.execute(insert(Review), rows)
        conn.execute(insert(ReviewResult), rres)
    reset_sequences(conn, Chat.__table__, ChatMessage.__table__, Sample.__table__, Review.__table__)
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        for t in ("qa_sample_draws", "qa_disputes", "qa_calibration_sessions"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "  # noqa: S608
                              f"COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"))

    # the month before this one is closed (frozen with the default settings and rubric v1)
    first_this = ctx.today.replace(day=1)
    prev = (first_this - timedelta(days=1)).strftime("%Y-%m")
    if days and days[0] <= first_this - timedelta(days=1):
        df = _live_month(conn, prev, None, settings)
        conn.execute(insert(MonthClosure).values(month=prev, closed_at=datetime.combine(first_this, time(2)),
                                                 closed_by=ctx.user_ids.get("demo_manager"), settings_version_id=None,
                                                 rubric_versions_json=json.dumps([rub.id])))
        if len(df):
            conn.execute(insert(MonthResult), [
                {"month": prev, "agent_id": int(r.agent_id), "working_days": int(r.working_days),
                 "points": int(r.points), "days_without_sample": int(r.days_without_sample),
                 "reviews": int(r.reviews), "unqualified": int(r.unqualified), "tier": r.tier,
                 "deduction_fen": int(r.deduction_fen), "no_bonus": bool(r.no_bonus)} for r in df.itertuples()])

    # the results page's rollups, from every chat, check, review and result written above (the rows
    # were bulk-loaded, past the writers that keep the rollups current)
    from lib.qa import rollup as qa_rollup

    counts = qa_rollup.rebuild(conn)
    ctx.report("qa: results rollups", counts["qa_criteria_agent_day"], counts["qa_criteria_agent_day"])
