"""QA results (team lead, QA, manager; an agent sees only themself): per agent and team, by day
and month — points, unqualified rate, failing criteria, automatic-check hit rates, disputes —
with drill-down to the reviews and their transcripts."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from lib import settings as settings_mod
from lib import ui
from lib.guard import require_download, require_page
from lib.i18n import current_language, t
from lib.qa import cached, results
from lib.qa import ui as qa_ui
from lib.qa.common import QAError, bank_today, month_bounds
from lib.qa.exports import payroll_frame
from lib.ui import download_buttons

engine, user = require_page("qa_results")
lang = current_language()
settings = settings_mod.load(engine)
today = bank_today(settings)

st.title(t("qa.page.results"))
month = st.selectbox(t("qa.res.month"), results.months_with_data(engine, today), key="qa_res_month")
start, end_excl = month_bounds(month)
end = min(end_excl - timedelta(days=1), today)
table = cached.month_table(engine, user, month)
if table.empty:
    st.info(t("ui.no_rows"))
    st.stop()

closed = table is not None and results.points.closure(engine, month) is not None
st.caption(t("qa.res.closed") if closed else t("qa.res.open"))
k1, k2, k3, k4 = st.columns(4)
k1.metric(t("qa.res.agents"), len(table))
k2.metric(t("qa.res.avg_points"), f"{table['points'].mean():.1f}")
k3.metric(t("qa.col.unqualified_rate"), f"{table['unqualified'].sum() / max(int(table['reviews'].sum()), 1):.1%}")
k4.metric(t("qa.res.deductions"), f"¥{table['deduction_yuan'].sum():,.0f}")

# tabs that remember which one is open: only the open tab's content runs (each reads its own figures)
tab_agents, tab_teams, tab_criteria, tab_days, tab_drill = st.tabs(
    [t("qa.res.by_agent"), t("qa.res.by_team"), t("qa.res.criteria"), t("qa.res.by_day"), t("qa.res.drill")],
    key="qa_res_tab", on_change="rerun")

shown = table.drop(columns=["agent_id", "team_id"]).assign(tier=table["tier"].map(qa_ui.tier_label))
if tab_agents.open:
    with tab_agents:
        st.dataframe(shown, hide_index=True, column_config={
            "employee_no": t("qa.col.employee_no"), "agent": t("qa.col.agent"), "team": t("qa.col.team"),
            "working_days": t("qa.col.working_days"),
            "points": st.column_config.ProgressColumn(t("qa.col.points"), min_value=0,
                                                      max_value=int(table["working_days"].max()), format="%d"),
            "days_without_sample": t("qa.col.days_without_sample"), "reviews": t("qa.col.reviews"),
            "unqualified": t("qa.col.unqualified"),
            "unqualified_rate": st.column_config.NumberColumn(t("qa.col.unqualified_rate"), format="percent"),
            "tier": t("qa.col.tier"), "deduction_yuan": st.column_config.NumberColumn(t("qa.col.deduction"),
                                                                                       format="¥%.0f"),
            "no_bonus": st.column_config.CheckboxColumn(t("qa.col.no_bonus")), "disputes": t("qa.col.disputes"),
        })
        if require_download(user, "qa_results"):
            with st.expander(t("ui.download")):
                download_buttons(lambda: payroll_frame(engine, month, user), f"qa_{month}", "qa_res_dl",
                                 on_download=lambda: results.log_download(engine, user, "qa_results", month))

if tab_teams.open:
    with tab_teams:
        teams = cached.team_table(engine, user, month)
        st.dataframe(teams, hide_index=True, column_config={
            "team": t("qa.col.team"), "agents": t("qa.res.agents"), "avg_points": t("qa.res.avg_points"),
            "unqualified_rate": st.column_config.NumberColumn(t("qa.col.unqualified_rate"), format="percent"),
            "full": t("qa.tier.full"), "deducted": t("qa.res.deducted"), "no_bonus": t("qa.tier.no_bonus"),
            "deduction_yuan": st.column_config.NumberColumn(t("qa.col.deduction"), format="¥%.0f"),
        })

if tab_criteria.open:
    with tab_criteria:
        crit = cached.criteria_failures(engine, user, start, end, lang)
        if not crit.empty:
            # plain Vega-Lite specs: building Altair objects cost 10-35 ms per run
            st.vega_lite_chart(crit[["criterion", "failed", "rated", "fail_rate"]], {
                "mark": {"type": "bar"},
                "encoding": {"x": {"field": "failed", "type": "quantitative", "title": t("qa.res.failed")},
                             "y": {"field": "criterion", "type": "nominal", "sort": "-x", "title": None},
                             "tooltip": [{"field": "criterion", "type": "nominal"},
                                         {"field": "failed", "type": "quantitative"},
                                         {"field": "rated", "type": "quantitative"},
                                         {"field": "fail_rate", "type": "quantitative", "format": ".1%"}]}})
            st.dataframe(crit.drop(columns=["code"]), hide_index=True, column_config={
                "criterion": t("qa.res.criterion"), "failed": t("qa.res.failed"), "rated": t("qa.res.rated"),
                "fail_rate": st.column_config.NumberColumn(t("qa.res.fail_rate"), format="percent")})
        rates = cached.check_rates(engine, user, start, end)
        st.markdown(f"**{t('qa.res.check_rates', n=rates['chats'])}**")
        cols = st.columns(6)
        for col, k in zip(cols, ("no_greeting", "no_closing", "slow", "forbidden", "no_apology", "no_timestamps"),
                          strict=True):
            col.metric(t(f"qa.rate.{k}"), f"{rates[k]:.1%}")
        if rates["avg_first_response_s"] is not None:
            st.caption(t("qa.res.avg_first_response", s=f"{rates['avg_first_response_s']:.0f}"))

choices = results.agent_choices(engine, user)
names = dict(choices)
if tab_days.open:
    with tab_days:
        pick = qa_ui.choose(st.selectbox, t("qa.res.agent_filter"), [None] + [a for a, _ in choices],
                            lambda a: t("qa.res.all_in_scope") if a is None else names[a], key="qa_res_day_agent")
        days = cached.daily(engine, user, start, end, pick)
        if days.empty:
            st.info(t("ui.no_rows"))
        else:
            long = days.melt(id_vars="work_date", value_vars=["reviews", "unqualified"], var_name="what", value_name="n")
            long["what"] = long["what"].map({"reviews": t("qa.col.reviews"), "unqualified": t("qa.col.unqualified")})
            st.vega_lite_chart(long, {
                "mark": {"type": "line", "point": True},
                "encoding": {"x": {"field": "work_date", "type": "temporal", "title": t("qa.col.day")},
                             "y": {"field": "n", "type": "quantitative", "title": None},
                             "color": {"field": "what", "type": "nominal", "title": None},
                             "tooltip": [{"field": "work_date", "type": "temporal"}, {"field": "what", "type": "nominal"},
                                         {"field": "n", "type": "quantitative"}]}})
            st.dataframe(days, hide_index=True, column_config={
                "work_date": st.column_config.DateColumn(t("qa.col.day")), "reviews": t("qa.col.reviews"),
                "unqualified": t("qa.col.unqualified"), "points": t("qa.res.points_kept"),
                "lost": t("qa.res.points_lost")})

if tab_drill.open:
    with tab_drill:
        c1, c2 = st.columns(2)
        agent = c1.selectbox(t("qa.col.agent"), [a for a, _ in choices], format_func=names.get, key="qa_res_agent")
        only_bad = c2.toggle(t("qa.res.only_unqualified"), key="qa_res_only_bad")
        size = int(settings["ui.page_size"])
        _, total = cached.reviews_page(engine, user, start=start, end=end, agent_id=agent, only_unqualified=only_bad,
                                        limit=1)
        offset = ui.pager(total, size, key=f"qa_res_drill_{agent}_{month}_{only_bad}")
        page, total = cached.reviews_page(engine, user, start=start, end=end, agent_id=agent,
                                           only_unqualified=only_bad, limit=size, offset=offset)
        if page.empty:
            st.info(t("ui.no_rows"))
        else:
            st.dataframe(page.drop(columns=["chat_id"]), hide_index=True, column_config={
                "review_id": "#", "work_date": st.column_config.DateColumn(t("qa.col.day")),
                "employee_no": t("qa.col.employee_no"), "agent": t("qa.col.agent"),
                "qualified": st.column_config.CheckboxColumn(t("qa.verdict.qualified")), "score": t("qa.col.score"),
                "reviewer": t("qa.col.reviewer"), "comment": t("qa.wb.comment")})
            rid = st.selectbox(t("qa.res.open_review"), [int(x) for x in page["review_id"]], key="qa_res_review",
                               format_func=lambda r: f"#{r}")
            try:
                d = cached.review_detail(engine, rid, user)
            except QAError as exc:
                st.error(exc.text())
            else:
                st.markdown(f"**{t('qa.verdict.qualified') if d['qualified'] else t('qa.verdict.unqualified')}** · "
                            f"{t('qa.col.score')} {d['score'] if d['score'] is not None else '—'} · "
                            f"{t('qa.col.reviewer')} {d['reviewer']} · {t('qa.rubric.version', v=d['rubric'].version)}")
                st.dataframe(pd.DataFrame([{"criterion": c.name(lang), "result": t(f"qa.result.{d['results'][c.code]}")
                                            if d["results"][c.code] else "—",
                                            "suggested": t(f"qa.result.{d['suggested'][c.code]}")
                                            if d["suggested"][c.code] else "—"} for c in d["rubric"].criteria]),
                             hide_index=True, column_config={"criterion": t("qa.res.criterion"),
                                                             "result": t("qa.wb.result"),
                                                             "suggested": t("qa.res.suggested")})
                qa_ui.transcript(engine, d["chat_id"], frame=cached.transcript(engine, d["chat_id"]))
