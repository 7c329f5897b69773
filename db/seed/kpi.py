"""Seed the team-KPI records of the demo department (domain.md §4), then rebuild the KPI rollups.

- service-quality cards (服务质量卡): each quarter of the window, a handful of cards
  per agent sent to clients; about three in four come back with a 1-5 score,
  each agent with a steady quality of their own so that rankings differ;
- work errors (日常工作准确度): on about 1.5 % of rostered days a lead records
  an error of one of the kinds the form offers.

The other seeders do not emit change events, so the full rollup rebuild runs at
the end, inside the seed's one transaction.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from sqlalchemy import select

from db.bulk import insert_rows, next_id, reset_sequences
from db.models import AgentSchedule, Survey, WorkError
from db.seed.context import SeedContext

CARDS_PER_AGENT_QUARTER = 6
ANSWER_RATE = 0.75
ERROR_RATE = 0.015
CHANNELS = ("sms", "wechat", "phone", "email")
ERROR_KINDS = ("data_entry", "wrong_information", "process", "handover", "other")
ERROR_NOTES = {
    "data_entry": ["客户信息录入错误，已更正", "工单类别选错", "业务办理记录漏填"],
    "wrong_information": ["告知客户的手续费标准有误", "告知的办理时限不准确", "理财产品起购金额说明有误"],
    "process": ["未按流程核实客户身份", "转办未留存记录", "未及时升级疑难问题"],
    "handover": ["转交技术部门的信息不完整", "部门间交接未写明客户诉求", "交接延误"],
    "other": ["其他差错", "值班记录不完整"],
}
COMMENTS_GOOD = ["服务很好，耐心细致", "回复及时，问题解决了", "态度好，专业", "非常满意"]
COMMENTS_BAD = ["等待时间太长", "问题没有一次解决", "回答不够清楚", "态度一般"]


def _quarters(start: date, end: date) -> list[tuple[date, date]]:
    out = []
    q0 = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while q0 <= end:
        nxt = date(q0.year + (q0.month + 3 > 12), (q0.month + 2) % 12 + 1, 1)
        out.append((max(q0, start), min(nxt - timedelta(days=1), end)))
        q0 = nxt
    return out


def seed(ctx: SeedContext) -> None:
    from lib.kpis import rollups

    rng = ctx.sub_rng("kpi")
    conn = ctx.conn
    agents = sorted(ctx.agent_ids)
    clients = ctx.shared.get("client_id_range")
    quality = {a: rng.betavariate(6, 2) for a in agents}  # each agent's steady share of good cards
    recorded_at = datetime.combine(ctx.today, datetime.min.time())

    # --- service-quality cards ---------------------------------------------------------
    sid = next_id(conn, Survey.__table__)
    cards = []
    for q_start, q_end in _quarters(ctx.start, ctx.today):
        span = (q_end - q_start).days
        for a in agents:
            for _ in range(CARDS_PER_AGENT_QUARTER):
                sent = q_start + timedelta(days=rng.randint(0, span))
                answered = rng.random() < ANSWER_RATE and sent < ctx.today
                score = None
                if answered:
                    good = rng.random() < quality[a]
                    score = rng.choice((4, 5, 5)) if good else rng.choice((1, 2, 3, 3, 4))
                ans_on = min(sent + timedelta(days=rng.randint(1, 10)), ctx.today) if answered else None
                comment = (rng.choice(COMMENTS_GOOD) if score and score >= 4 else rng.choice(COMMENTS_BAD)) \
                    if answered and rng.random() < 0.4 else None
                client = rng.randint(clients[0], clients[1]) if clients else None
                cards.append((sid, f"SQC-{sid:07d}", a, client, rng.choice(CHANNELS), sent, ans_on, score, comment,
                              None, recorded_at))
                sid += 1
    n_cards = insert_rows(conn, Survey.__table__, ["id", "external_id", "agent_id", "client_id", "channel", "sent_on",
                                                   "answered_on", "score", "comment", "recorded_by", "recorded_at"],
                          cards)
    ctx.report("kpi: service cards", n_cards, n_cards)

    # --- work errors on rostered days --------------------------------------------------
    eid = next_id(conn, WorkError.__table__)
    errors = []
    rows = conn.execute(select(AgentSchedule.agent_id, AgentSchedule.work_date)
                        .where(AgentSchedule.work_date >= ctx.start, AgentSchedule.work_date <= ctx.today)
                        .order_by(AgentSchedule.work_date, AgentSchedule.agent_id)).all()
    for a, d in rows:
        if rng.random() < ERROR_RATE * (1.6 - quality.get(a, 0.7)):
            kind = rng.choice(ERROR_KINDS)
            lead = ctx.lead_user_ids.get(ctx.agent_team.get(a))
            errors.append((eid, a, d, lead, datetime.combine(d, datetime.min.time()) + timedelta(hours=10), kind,
                           rng.choice(ERROR_NOTES[kind])))
            eid += 1
    n_err = insert_rows(conn, WorkError.__table__, ["id", "agent_id", "day", "recorded_by", "recorded_at", "kind",
                                                    "note"], errors)
    ctx.report("kpi: work errors", n_err, n_err)
    reset_sequences(conn, Survey.__table__, WorkError.__table__)

    # --- rollups from everything seeded so far ------------------------------------------
    t0 = time.perf_counter()
    counts = rollups.rebuild(conn)
    ctx.shared["kpi_rollup_seconds"] = time.perf_counter() - t0
    ctx.report("kpi: rollups", counts["rollup_agent_day"], counts["rollup_agent_day"])
