"""Seed the client portfolios (domain.md §1): clients, products, holdings, balances, credit lines,
loans with their classification history, contacts and tier history.

Volumes per size (clients from ``ctx.params["clients"]``):

========  ============  ==============  =================  =================
size      clients       balance months  classification     contacts
========  ============  ==============  =================  =================
demo      ~5,000        6               one row per month  full schedule
m         100,000       3               one row per month  about half
l         1,000,000     1               one row per month  about a quarter
========  ============  ==============  =================  =================

Everything is drawn from ``ctx.sub_rng("portfolio")`` and dated relative to
``ctx.today``; names come from a pool drawn once from ``ctx.fake`` (zh_CN).
Leaves ``ctx.shared["client_id_range"]``, ``["product_ids"]`` and ``["client_rm"]``
for the areas seeded after this one.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from time import perf_counter

from sqlalchemy import select

from db.bulk import insert_rows, next_id, reset_sequences
from db.models import (
    Balance,
    Client,
    ClientTierHistory,
    Contact,
    CreditLine,
    Holding,
    Loan,
    LoanClassification,
    Product,
    RelationshipManager,
)
from db.seed.context import SeedContext
from lib.portfolio import rollup
from lib.portfolio.queries import as_of, rules_from
from lib.portfolio.rules import LOAN_CLASSES, RATINGS, month_ends, period_bounds
from lib.settings import defaults

PRODUCTS = [
    # code, category, 中文, English, for (i)ndividuals / (c)orporates
    ("DEP_CUR", "deposit", "活期存款", "Demand deposit", "ic"),
    ("DEP_TIME", "deposit", "定期存款", "Time deposit", "ic"),
    ("DEP_LCD", "deposit", "大额存单", "Large-denomination CD", "ic"),
    ("DEP_NOTICE", "deposit", "通知存款", "Notice deposit", "c"),
    ("SET_BASIC", "settlement", "基本结算账户", "Basic settlement account", "c"),
    ("SET_CASH", "settlement", "现金管理", "Cash management", "c"),
    ("LN_WC", "loan", "流动资金贷款", "Working-capital loan", "c"),
    ("LN_FIXED", "loan", "固定资产贷款", "Fixed-asset loan", "c"),
    ("LN_MORT", "loan", "个人住房贷款", "Residential mortgage", "i"),
    ("LN_CONS", "loan", "个人消费贷款", "Consumer loan", "i"),
    ("LN_BIZ", "loan", "个人经营贷款", "Small-business loan", "i"),
    ("CL_CORP", "credit_line", "综合授信", "Corporate credit facility", "c"),
    ("CL_PERS", "credit_line", "个人授信", "Personal credit line", "i"),
    ("WM_FIXED", "wealth", "固收类理财", "Fixed-income wealth product", "ic"),
    ("WM_FUND", "wealth", "代销基金", "Mutual funds (agency)", "ic"),
    ("WM_INS", "wealth", "代理保险", "Bancassurance", "i"),
    ("WM_GOLD", "wealth", "贵金属", "Precious metals", "i"),
    ("CARD_DEBIT", "card", "借记卡", "Debit card", "i"),
    ("CARD_CREDIT", "card", "信用卡", "Credit card", "i"),
    ("FEE_FX", "fee_service", "国际结算", "International settlement", "c"),
    ("FEE_GUAR", "fee_service", "保函", "Letter of guarantee", "c"),
    ("FEE_PAYROLL", "fee_service", "代发工资", "Payroll service", "c"),
    ("FEE_ADV", "fee_service", "财务顾问", "Financial advisory", "c"),
]

INDUSTRIES = ["制造业", "批发和零售业", "房地产业", "建筑业", "信息技术服务业", "交通运输业", "住宿和餐饮业",
              "医药卫生", "农林牧渔业", "租赁和商务服务业", "教育", "文化体育和娱乐业"]
CHANNEL_WEIGHTS = {"referral": 30, "friends": 22, "revisit_dormant": 8, "press": 8, "event": 10, "association": 9,
                   "cold_call": 13}
TIER_WEIGHTS = {"key": 3, "large": 7, "vip": 20, "ordinary": 70}
RATING_WEIGHTS = [5, 15, 25, 25, 15, 9, 4, 1.5, 0.5]
# which RM grade serves which tier (a higher grade serves higher tiers)
GRADE_FOR_TIER = {
    "key": {"senior": 75, "intermediate": 25, "junior": 0},
    "large": {"senior": 45, "intermediate": 50, "junior": 5},
    "vip": {"senior": 15, "intermediate": 50, "junior": 35},
    "ordinary": {"senior": 3, "intermediate": 32, "junior": 65},
}
# median deposit balance in yuan by (type, tier)
DEPOSIT_MEDIAN = {
    ("individual", "key"): 20_000_000, ("individual", "large"): 5_000_000, ("individual", "vip"): 800_000,
    ("individual", "ordinary"): 60_000,
    ("corporate", "key"): 150_000_000, ("corporate", "large"): 30_000_000, ("corporate", "vip"): 5_000_000,
    ("corporate", "ordinary"): 600_000,
}
TIER_SCALE = {"key": 30.0, "large": 10.0, "vip": 3.0, "ordinary": 1.0}
CLASS_WEIGHTS = [92.5, 4.5, 1.5, 1.0, 0.5]
DPD_RANGE = {"pass": (0, 0), "special_mention": (1, 89), "substandard": (90, 179), "doubtful": (180, 359),
             "loss": (360, 720)}
SUMMARIES = [
    "例行拜访，了解客户近期经营和资金需求。", "介绍{p}，客户表示考虑。", "回访{p}使用情况，客户满意。",
    "客户咨询{p}的利率和期限，已发送资料。", "协调授信部门答复客户提款安排。", "节日问候，顺带了解客户家庭理财需求。",
    "客户反映网银转账限额问题，已协调解决。", "提醒客户定期存款到期，建议续存或转理财。",
]
FOLLOW_UP = "回访：客户对上次沟通事项的处理结果表示满意。"
SURPRISE = "突击探访：核实企业经营及抵押物状况。"
DINNER_PURPOSE = ["维护客户关系，了解明年融资计划", "答谢老客户，介绍新上线的现金管理产品", "商谈代发工资业务合作",
                  "了解企业扩产计划，洽谈固定资产贷款"]
DINNER_REL = ["企业实际控制人", "财务总监", "合作五年以上的老客户", "客户推荐的新朋友", "行业协会会长"]
DINNER_TITLES = ["董事长", "总经理", "财务总监", "财务经理", "办公室主任"]

SIZE_VOLUMES = {
    # balance months, contact scale
    "demo": (6, 1.0),
    "m": (3, 0.5),
    "l": (1, 0.25),
}


def _pick(rng, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _lognormal(rng, median: float, sigma: float = 0.8) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _utc_at(day: date, rng) -> datetime:
    # office hours in Shanghai (09:00-18:00) are 01:00-10:00 UTC
    return datetime.combine(day, time(1, 0)) + timedelta(minutes=rng.randint(0, 9 * 60 - 1))


def _id_number(rng, birth: date) -> str:
    area = rng.choice(["310115", "310106", "310104", "310101", "320102", "330106", "110105", "440305"])
    body = f"{area}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check  # a well-formed but fictitious 18-digit resident ID


def _credit_code(rng) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91" + rng.choice(["310115", "310106", "320102", "330106"]) + "".join(rng.choice(alphabet) for _ in range(10))


def seed(ctx: SeedContext) -> None:
    rng = ctx.sub_rng("portfolio")
    conn = ctx.conn
    n_clients = int(ctx.params["clients"])
    months_n, contact_scale = SIZE_VOLUMES.get(ctx.size, SIZE_VOLUMES["m"])
    s = defaults()
    intervals = s["portfolio.visit_interval_days"]
    dormant_days = s["portfolio.dormant_days"]
    today = ctx.today
    p_start, _ = period_bounds(today, "quarter")
    mends = month_ends(today, months_n)
    window_start = ctx.start

    # --- products --------------------------------------------------------------------
    pid0 = next_id(conn, Product.__table__)
    products = []
    product_ids: dict[str, list[int]] = {}
    by_code: dict[str, int] = {}
    for i, (code, cat, zh, en, _for) in enumerate(PRODUCTS):
        pid = pid0 + i
        products.append((pid, code, zh, en, cat))
        product_ids.setdefault(cat, []).append(pid)
        by_code[code] = pid
    insert_rows(conn, Product.__table__, ["id", "code", "name_zh", "name_en", "category"], products)
    cat_of = {pid: cat for pid, _c, _z, _e, cat in products}
    name_of = {pid: zh for pid, _c, zh, _e, _cat in products}
    for_ind = [by_code[c] for c, _cat, _z, _e, f in PRODUCTS if "i" in f]
    for_corp = [by_code[c] for c, _cat, _z, _e, f in PRODUCTS if "c" in f]

    # --- RMs by grade -----------------------------------------------------------------
    rm_rows = conn.execute(select(RelationshipManager.id, RelationshipManager.grade, RelationshipManager.branch,
                                  RelationshipManager.user_id).order_by(RelationshipManager.id)).all()
    rms_by_grade: dict[str, list[int]] = {}
    rm_branch, rm_user = {}, {}
    for r in rm_rows:
        rms_by_grade.setdefault(r.grade, []).append(r.id)
        rm_branch[r.id] = r.branch
        rm_user[r.id] = r.user_id

    # --- name pools (Faker is slow; a pool keeps l in minutes) -------------------------
    fake = ctx.fake
    pool_n = min(n_clients, 20_000)
    person_pool = [fake.name() for _ in range(pool_n)]
    company_pool = [fake.company() for _ in range(max(1, pool_n // 2))]
    contact_pool = [fake.name() for _ in range(500)]

    # --- clients ---------------------------------------------------------------------
    cid0 = next_id(conn, Client.__table__)
    meta: list[tuple] = []  # per client: (id, type, tier, rm, acquired_on, dormant, overdue, rating)
    client_rm: dict[int, int] = {}
    tiers, tier_w = list(TIER_WEIGHTS), list(TIER_WEIGHTS.values())
    chans, chan_w = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    ind_w = [1.0] * len(INDUSTRIES)
    ct_id = [next_id(conn, Contact.__table__)]
    mean_gap = {"key": 18, "large": 24, "vip": 45, "ordinary": 110}
    client_cols = ["id", "client_no", "name", "client_type", "tier", "credit_rating", "industry", "rm_id", "branch",
                   "acquisition_channel", "acquired_on", "status", "id_number", "phone", "last_contact_at",
                   "last_txn_on"]
    contact_cols = ["id", "client_id", "rm_id", "kind", "surprise", "occurred_at", "summary", "dinner_with",
                    "dinner_purpose", "dinner_relationship", "follow_up_on", "created_by", "created_at"]

    def make_client(k: int, clients: list) -> None:
        cid = cid0 + k
        ctype = "corporate" if rng.random() < 0.3 else "individual"
        tier = rng.choices(tiers, weights=tier_w)[0]
        rating = rng.choices(RATINGS, weights=RATING_WEIGHTS)[0]
        grade = _pick(rng, GRADE_FOR_TIER[tier])
        pool = rms_by_grade.get(grade) or [r.id for r in rm_rows]
        rm = rng.choice(pool)
        if rng.random() < 0.03:
            acquired = p_start + timedelta(days=rng.randint(0, max(0, (today - p_start).days)))
        else:
            acquired = today - timedelta(days=rng.randint(120, 3650))
        if acquired >= p_start:
            chan = rng.choices(chans, weights=chan_w)[0]
        else:
            chan = rng.choices(chans, weights=chan_w)[0] if rng.random() < 0.9 else None
        dormant = tier != "key" and acquired < window_start and rng.random() < 0.05
        overdue = (not dormant) and tier in ("key", "large") and rng.random() < 0.12
        if ctype == "individual":
            name = rng.choice(person_pool)
            birth = date(1955, 1, 1) + timedelta(days=rng.randint(0, 365 * 45))
            id_no = _id_number(rng, birth)
        else:
            name = rng.choice(company_pool)
            id_no = _credit_code(rng)
        phone = f"1{rng.choice('356789')}{rng.randint(0, 999_999_999):09d}"
        if dormant:
            last_txn = today - timedelta(days=rng.randint(dormant_days + 5, dormant_days + 400))
        else:
            last_txn = today - timedelta(days=int(rng.expovariate(1 / 12)))
            last_txn = max(last_txn, acquired)
        status = "dormant" if dormant else ("closed" if rng.random() < 0.005 else "active")
        industry = rng.choices(INDUSTRIES, weights=ind_w)[0]
        clients.append([cid, f"C{cid:09d}", name, ctype, tier, rating, industry, rm, rm_branch[rm], chan, acquired,
                        status, id_no, phone, None, last_txn])
        meta.append((cid, ctype, tier, rm, acquired, dormant, overdue, rating))
        client_rm[cid] = rm

    def make_contacts(row: tuple, contacts: list):
        """The client's contacts over the window; returns the last contact's time."""
        cid, ctype, tier, rm, acquired, dormant, overdue, _rating = row
        last = None
        if dormant:
            if rng.random() < 0.6:
                last = _utc_at(today - timedelta(days=rng.randint(dormant_days + 10, dormant_days + 500)), rng)
        else:
            first = max(window_start, acquired)
            stop = today
            if overdue:
                stop = today - timedelta(days=intervals[tier] + rng.randint(3, 50))
            span = (stop - first).days
            expected = span / mean_gap[tier] * contact_scale if span > 0 else 0
            n = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            if span > 0 and n == 0 and tier in ("key", "large"):
                n = 1
            days = sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(n)) if span > 0 else []
            for d in days:
                r = rng.random()
                dinner_ok = tier in ("key", "large", "vip")
                kind = "visit" if r < 0.35 else "call" if r < 0.8 else "email" if r < 0.94 or not dinner_ok else "dinner"
                at = _utc_at(d, rng)
                pname = name_of[rng.choice(for_corp if ctype == "corporate" else for_ind)]
                surprise = kind == "visit" and ctype == "corporate" and rng.random() < 0.06
                summary = SURPRISE if surprise else rng.choice(SUMMARIES).format(p=pname)
                with_whom = purpose = rel = None
                if kind == "dinner":
                    with_whom = f"{rng.choice(contact_pool)}（{rng.choice(DINNER_TITLES)}）"
                    purpose = rng.choice(DINNER_PURPOSE)
                    rel = rng.choice(DINNER_REL)
                follow = None
                if (today - d).days <= 40 and rng.random() < 0.25:
                    follow = d + timedelta(days=rng.randint(1, 5))
                contacts.append((ct_id[0], cid, rm, kind, surprise, at, summary, with_whom, purpose, rel, follow,
                                 rm_user.get(rm), at + timedelta(minutes=rng.randint(5, 240))))
                ct_id[0] += 1
                last = max(last, at) if last else at
                if follow is not None and follow <= stop and rng.random() < 0.85:
                    # the follow-up call (回访) happened, on time or a little late
                    fat = _utc_at(min(stop, follow + timedelta(days=rng.choice([0, 0, 0, 1, 2]))), rng)
                    contacts.append((ct_id[0], cid, rm, "call", False, fat, FOLLOW_UP, None, None, None, None,
                                     rm_user.get(rm), fat + timedelta(minutes=rng.randint(5, 120))))
                    ct_id[0] += 1
                    last = max(last, fat)
            if last is None and rng.random() < 0.7:
                last = _utc_at(first - timedelta(days=rng.randint(1, 200)), rng)
        return last

    # clients and their contacts in chunks, so that memory stays bounded at size l
    chunk = 50_000
    for c0 in range(0, n_clients, chunk):
        clients: list[list] = []
        contacts: list[tuple] = []
        m0 = len(meta)
        for k in range(c0, min(n_clients, c0 + chunk)):
            make_client(k, clients)
        for i, row in enumerate(meta[m0:]):
            clients[i][14] = make_contacts(row, contacts)
        insert_rows(conn, Client.__table__, client_cols, (tuple(c) for c in clients))
        insert_rows(conn, Contact.__table__, contact_cols, contacts)
        ctx.report("portfolio: clients and contacts", min(n_clients, c0 + chunk), n_clients)

    # --- tier and rating history --------------------------------------------------------
    def tier_rows():
        hid = next_id(conn, ClientTierHistory.__table__)
        for cid, _t, tier, _rm, acquired, _d, _o, rating in meta:
            if rng.random() < 0.12 and acquired < window_start:
                ti = list(TIER_WEIGHTS).index(tier)
                old_tier = list(TIER_WEIGHTS)[min(3, max(0, ti + rng.choice([-1, 1])))]
                ri = RATINGS.index(rating)
                old_rating = RATINGS[min(len(RATINGS) - 1, max(0, ri + rng.choice([-1, 0, 1])))]
                yield (hid, cid, acquired, old_tier, old_rating)
                hid += 1
                yield (hid, cid, today - timedelta(days=rng.randint(5, 170)), tier, rating)
            else:
                yield (hid, cid, acquired, tier, rating)
            hid += 1

    insert_rows(conn, ClientTierHistory.__table__, ["id", "client_id", "effective_on", "tier", "credit_rating"],
                tier_rows())

    # --- holdings, balances, credit lines, loans -----------------------------------------
    hold_id = next_id(conn, Holding.__table__)
    bal_id = next_id(conn, Balance.__table__)
    cl_id = next_id(conn, CreditLine.__table__)
    loan_id = next_id(conn, Loan.__table__)
    lc_id = next_id(conn, LoanClassification.__table__)
    holdings: list[tuple] = []
    balances: list[tuple] = []
    lines: list[tuple] = []
    loans: list[tuple] = []
    lcs: list[tuple] = []
    deposit_ids = product_ids["deposit"]
    hcols = ["id", "client_id", "product_id", "account_no", "opened_on", "closed_on"]
    bcols = ["id", "holding_id", "client_id", "as_of", "balance_fen", "interest_income_fen", "fee_income_fen"]

    def flush(final: bool = False) -> None:
        # holdings before their balances (foreign keys), both in bounded batches
        if len(holdings) >= 50_000 or len(balances) >= 100_000 or final:
            insert_rows(conn, Holding.__table__, hcols, holdings)
            holdings.clear()
            insert_rows(conn, Balance.__table__, bcols, balances)
            balances.clear()

    loan_cols = ["id", "loan_no", "client_id", "product_id", "principal_fen", "outstanding_fen", "rate_bp",
                 "start_on", "maturity_on", "classification", "days_past_due", "interest_collected_fen"]
    for idx, (cid, ctype, tier, _rm, acquired, dormant, _o, rating) in enumerate(meta):
        scale = TIER_SCALE[tier]
        eligible = for_corp if ctype == "corporate" else for_ind
        # how many products: single-product clients are cross-selling prospects
        r = rng.random()
        n_prod = 1 if r < 0.25 else 2 if r < 0.5 else 3 if r < 0.75 else rng.randint(4, 6)
        chosen = [rng.choice(deposit_ids if ctype == "individual" else [by_code["DEP_CUR"], by_code["DEP_TIME"]])]
        while len(chosen) < n_prod:
            p = rng.choice(eligible)
            if p not in chosen:
                chosen.append(p)
        dep_median = DEPOSIT_MEDIAN[(ctype, tier)]
        for pid in chosen:
            cat = cat_of[pid]
            opened = acquired + timedelta(days=rng.randint(0, 60)) if acquired < window_start else acquired
            opened = min(opened, today)
            holdings.append((hold_id, cid, pid, f"6222{hold_id:012d}", opened, None))
            if cat == "loan":
                cls = rng.choices(LOAN_CLASSES, weights=CLASS_WEIGHTS)[0]
                if rating in ("CCC", "CC", "C") and cls == "pass" and rng.random() < 0.5:
                    cls = "special_mention"
                lo, hi = DPD_RANGE[cls]
                dpd = rng.randint(lo, hi) if hi else (rng.randint(1, 29) if rng.random() < 0.02 else 0)
                median = (dep_median * 0.8) if ctype == "corporate" else 800_000 * scale ** 0.5
                principal = int(_lognormal(rng, median, 0.6)) * 100
                outstanding = int(principal * rng.uniform(0.3, 1.0))
                rate = rng.randint(330, 620)
                start = opened
                maturity = start + timedelta(days=365 * rng.choice([1, 2, 3, 5, 10, 20]))
                migrated = cls != "pass" and rng.random() < 0.25 or (cls == "pass" and rng.random() < 0.004)
                prev_cls = cls
                if migrated and cls != "pass":
                    prev_cls = LOAN_CLASSES[max(0, LOAN_CLASSES.index(cls) - rng.choice([1, 1, 2]))]
                elif migrated:
                    # a pass loan that slipped to special mention this period
                    cls, prev_cls, dpd = "special_mention", "pass", rng.randint(15, 60)
                review = p_start + timedelta(days=rng.randint(0, max(0, (today - p_start).days))) if migrated else None
                collected = 0
                for me in mends:
                    if me < start:
                        continue
                    bal = int(outstanding * (1 + 0.01 * (mends[-1] - me).days / 30))
                    c_then = cls if review is None or me >= review else prev_cls
                    interest = 0 if c_then in ("substandard", "doubtful", "loss") else bal * rate // 120_000
                    collected += interest
                    balances.append((bal_id, hold_id, cid, me, bal, interest, 0))
                    bal_id += 1
                    back = (mends[-1] - me).days
                    lcs.append((lc_id, loan_id, me, c_then, 0 if c_then == "pass" else max(1, dpd - back)))
                    lc_id += 1
                if review is not None:
                    lcs.append((lc_id, loan_id, review, cls, dpd))
                    lc_id += 1
                elif not any(m >= start for m in mends):
                    lcs.append((lc_id, loan_id, start, cls, dpd))
                    lc_id += 1
                collected += int(outstanding * rate / 10_000 * rng.uniform(0.2, 2.0))
                loans.append((loan_id, f"L{loan_id:010d}", cid, pid, principal, outstanding, rate, start, maturity,
                              cls, dpd, collected))
                loan_id += 1
            elif cat == "credit_line":
                granted = int(_lognormal(rng, dep_median * (0.6 if ctype == "corporate" else 0.2), 0.5)) * 100
                granted = max(granted, 2_000_000)
                u = rng.random()
                used_pct = rng.uniform(0.9, 1.0) if u < 0.07 else rng.uniform(0.0, 0.85)
                used = int(granted * used_pct)
                lines.append((cl_id, cid, granted, used, opened, opened + timedelta(days=365 * rng.choice([1, 2, 3])),
                              "active"))
                cl_id += 1
                for me in mends:
                    if me >= opened:
                        bal = int(used * rng.uniform(0.9, 1.05))
                        balances.append((bal_id, hold_id, cid, me, bal, bal * 450 // 120_000, 0))
                        bal_id += 1
            else:
                if cat in ("deposit", "settlement"):
                    base = _lognormal(rng, dep_median * (0.6 if cat == "settlement" else 1.0))
                elif cat == "wealth":
                    base = _lognormal(rng, dep_median * 0.8)
                elif cat == "card":
                    base = _lognormal(rng, 8_000 * scale ** 0.5)
                else:  # fee_service
                    base = 0.0
                if dormant:
                    base *= 0.2
                trend = rng.uniform(-0.02, 0.04)
                for j, me in enumerate(mends):
                    if me < opened:
                        continue
                    bal = int(base * (1 + trend * (j - len(mends) + 1)) * rng.uniform(0.95, 1.05) * 100)
                    bal = max(bal, 0)
                    if cat == "wealth":
                        fee = bal * 8 // 12_000  # 0.8 % a year of AUM (sales and management fees)
                    elif cat == "settlement":
                        fee = int(_lognormal(rng, 400 * scale, 0.5)) * 100
                    elif cat == "card":
                        fee = int(_lognormal(rng, 30 * scale ** 0.5, 0.6)) * 100
                    elif cat == "fee_service":
                        fee = int(_lognormal(rng, 1_500 * scale, 0.7)) * 100
                    else:
                        fee = 0
                    # the bank's spread on deposits (net interest on funds deployed), ~1.2 % a year
                    interest = bal * 12 // 12_000 if cat in ("deposit", "settlement") else 0
                    balances.append((bal_id, hold_id, cid, me, bal, interest, fee))
                    bal_id += 1
            hold_id += 1
        flush()
        if idx % 50_000 == 0:
            ctx.report("portfolio: balances", idx, n_clients)
    flush(final=True)
    ctx.report("portfolio: balances", n_clients, n_clients)
    insert_rows(conn, CreditLine.__table__, ["id", "client_id", "granted_fen", "used_fen", "granted_on", "expires_on",
                                             "status"], lines)
    insert_rows(conn, Loan.__table__, loan_cols, loans)
    insert_rows(conn, LoanClassification.__table__, ["id", "loan_id", "as_of", "classification", "days_past_due"], lcs)
    reset_sequences(conn, Product.__table__, Client.__table__, Contact.__table__, ClientTierHistory.__table__,
                    Holding.__table__, Balance.__table__, CreditLine.__table__, Loan.__table__,
                    LoanClassification.__table__)

    # the precomputed book figures for the seed's today, in the same transaction
    t0 = perf_counter()
    counts = rollup.rebuild(conn, as_of(conn, today), rules_from(s), built_at=datetime.combine(today, time(16, 0)))
    ctx.report(f"portfolio: rollup ({counts['books']:,} book rows, {perf_counter() - t0:.1f} s)", 1, 1)

    ctx.shared["client_id_range"] = (cid0, cid0 + n_clients - 1)
    ctx.shared["product_ids"] = product_ids
    ctx.shared["client_rm"] = client_rm
