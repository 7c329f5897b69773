"""The KPI pages under AppTest, for every role: offered or refused as the policy says, figures drawn,
drill-downs, forms — and a team lead never sees another team's agents."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from db.models import AuditLog, Survey, WorkError
from lib import policy
from lib.i18n import t
from tests.apptest import DEMO_LOGINS, page, sign_in_state, texts

KPI_PAGES = [p for p in policy.PAGES if p.key.startswith("kpi_")]


@pytest.fixture(scope="module")
def kpi_db(db_factory, demo_template):
    """One copy of the demo database for the module (the page tests write only a card and an error)."""
    from lib.db import engine_for
    from tests.conftest import _reset_process_caches

    mp = pytest.MonkeyPatch()
    url = db_factory.new_url(demo_template)
    mp.setenv("DATABASE_URL", url)
    _reset_process_caches()
    yield engine_for(url)
    mp.undo()
    db_factory.release(url)


@pytest.fixture(autouse=True)
def _english_outside_the_script(monkeypatch):
    """AppTest re-evaluates format_func of widgets in the test process, where no session language is set:
    make that English like the session (sign_in_state sets "en")."""
    import lib.i18n

    monkeypatch.setattr(lib.i18n, "DEFAULT_LANGUAGE", "en")


def _run(path: str, engine, username: str):
    at = page(path)
    sign_in_state(at, engine, username)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frames(at) -> list[pd.DataFrame]:
    out = []
    for df in at.dataframe:
        v = df.value
        out.append(v.data if hasattr(v, "data") else v)
    return out


def _foreign_agent_names(engine, username: str) -> set[str]:
    """Names of agents outside the lead's teams (names that someone in the team also bears are left out:
    Chinese names repeat, so those are checked by employee number instead)."""
    with engine.connect() as conn:
        names = set(conn.execute(text(
            "SELECT a.name FROM agents a JOIN teams t ON t.id = a.team_id JOIN users u ON u.username = :u "
            "WHERE t.lead_user_id IS NULL OR t.lead_user_id <> u.id"), {"u": username}).scalars())
    return names - _own_agent_names(engine, username)


def _own_employee_nos(engine, username: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT a.employee_no FROM agents a JOIN teams t ON t.id = a.team_id "
            "JOIN users u ON u.id = t.lead_user_id WHERE u.username = :u"), {"u": username}).scalars())


def _own_agent_names(engine, username: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT a.name FROM agents a JOIN teams t ON t.id = a.team_id JOIN users u ON u.id = t.lead_user_id "
            "WHERE u.username = :u"), {"u": username}).scalars())


def _names_shown(at) -> set[str]:
    names = set()
    for df in _frames(at):
        for col in ("name", "agent", t("kpi.agent", lang="en")):
            if col in df:
                names |= {str(v) for v in df[col].dropna()}
    return names


@pytest.mark.parametrize("role", policy.ROLES)
@pytest.mark.parametrize("spec", KPI_PAGES, ids=lambda s: s.key)
def test_every_kpi_page_under_every_role(kpi_db, spec, role):
    at = _run(spec.file, kpi_db, DEMO_LOGINS[role])
    if role in spec.roles:
        assert t("guard.forbidden", lang="en") not in texts(at)
        assert len(at.dataframe) + len(at.metric) > 0
    else:
        assert t("guard.forbidden", lang="en") in texts(at)
        assert len(at.dataframe) == 0 and len(at.metric) == 0


def test_lead_never_sees_another_teams_agents(kpi_db):
    at = _run("pages/kpi_team.py", kpi_db, "demo_lead")
    team_box = at.selectbox(key="kpi_team_team")
    assert len(team_box.options) == 1
    shown = _names_shown(at)
    own = _own_agent_names(kpi_db, "demo_lead")
    assert shown and shown <= own
    assert not shown & _foreign_agent_names(kpi_db, "demo_lead")
    ranking = at.dataframe(key="kpi_team_rank_table").value
    ranking = ranking.data if hasattr(ranking, "data") else ranking
    assert set(ranking["employee_no"]) == _own_employee_nos(kpi_db, "demo_lead")
    # the drill-down's agent choice and every records table stay inside the team
    assert len(at.selectbox(key="kpi_team_drill_agent_pick").options) == len(own) + 1
    for key in ("complaints_against", "unqualified_rate_pct", "work_accuracy_pct", "survey_satisfaction"):
        at.selectbox(key="kpi_team_drill_pick").set_value(key).run()
        assert not at.exception
        assert not _names_shown(at) & _foreign_agent_names(kpi_db, "demo_lead")


def test_ranking_pages_through_every_agent_of_the_team_in_order(kpi_db):
    """The ranking shows one page at a time (settings ui.page_size); paging visits each agent once, in rank order."""
    from lib import settings

    settings.save(kpi_db, {"ui.page_size": 10}, user_id=None, check_version=False)
    try:
        at = _run("pages/kpi_team.py", kpi_db, "demo_lead")
        at.selectbox(key="kpi_team_rank_by").set_value("chats_handled").run()
        seen = []
        while True:
            frame = at.dataframe(key="kpi_team_rank_table").value
            frame = frame.data if hasattr(frame, "data") else frame
            assert 0 < len(frame) <= 10
            seen.append(frame)
            nxt = at.button(key="kpi_team_rank_page_next")
            if nxt.disabled:
                break
            nxt.click().run()
            assert not at.exception
        assert len(seen) == 2  # the lead's team has 20 agents
        nos = [n for f in seen for n in f["employee_no"]]
        assert len(nos) == len(set(nos)) and set(nos) == _own_employee_nos(kpi_db, "demo_lead")
        chats = [float(v) for f in seen for v in f["chats_handled"]]
        assert chats == sorted(chats, reverse=True)
    finally:
        settings.save(kpi_db, {"ui.page_size": 50}, user_id=None, check_version=False)


def test_daily_trend_ends_at_the_last_day_with_activity(kpi_db):
    """Days of the month still to come are not drawn as zeros."""
    import pyarrow as pa

    from lib.kpis.views import latest_day

    at = _run("pages/kpi_team.py", kpi_db, "demo_lead")
    chart = next(e for e in at.main if getattr(e, "type", "") == "vega_lite_chart")
    data = pa.ipc.open_stream(chart.proto.data.data).read_pandas()
    last = pd.Timestamp(latest_day(kpi_db))
    assert pd.to_datetime(data["x"]).max() == last
    assert len(data) == last.day  # every day of the month up to it, none after


def test_team_page_tiles_have_targets_and_changes(kpi_db):
    at = _run("pages/kpi_team.py", kpi_db, "demo_manager")
    labels = [m.label for m in at.metric]
    assert t("kpi.k.chats_handled", lang="en") in labels and t("kpi.k.work_accuracy_pct", lang="en") in labels
    assert len(at.metric) == 13
    assert any(m.delta for m in at.metric)
    assert "Target" in texts(at)
    # a manager may pick any team
    assert len(at.selectbox(key="kpi_team_team").options) == 6


def test_tile_records_button_drills_down(kpi_db):
    at = _run("pages/kpi_team.py", kpi_db, "demo_lead")
    at.button(key="kpi_team_drill_btn_complaints_against").click().run()
    assert not at.exception
    assert at.selectbox(key="kpi_team_drill_pick").value == "complaints_against"
    assert any("ref_no" in df.columns and len(df) for df in _frames(at))
    at.button(key="kpi_team_drill_btn_first_response_p90_s").click().run()
    records = next(df for df in _frames(at) if "first_response_s" in df.columns)
    assert records["first_response_s"].is_monotonic_decreasing  # the slowest first


def test_agent_sees_only_themselves(kpi_db):
    at = _run("pages/kpi_me.py", kpi_db, "demo_agent")
    with kpi_db.connect() as conn:
        me = conn.execute(text("SELECT a.name FROM agents a JOIN users u ON u.id = a.user_id "
                               "WHERE u.username = 'demo_agent'")).scalar()
    assert _names_shown(at) <= {me}
    assert t("kpi.me.points", lang="en") in [m.label for m in at.metric]
    at.button(key="kpi_me_drill_btn_chats_handled").click().run()
    assert _names_shown(at) == {me}


def test_department_page_compares_teams_and_shows_qa_bonus(kpi_db):
    at = _run("pages/kpi_department.py", kpi_db, "demo_manager")
    teams = at.dataframe(key="kpi_dept_teams_table").value
    teams = teams.data if hasattr(teams, "data") else teams
    assert len(teams) == 6
    bonus = next(df for df in _frames(at) if "points_mean" in df.columns)
    assert len(bonus) == 6 and bonus["agents"].sum() == 120


def test_lead_records_a_work_error_and_a_card(kpi_db):
    at = _run("pages/kpi_team.py", kpi_db, "demo_lead")
    with kpi_db.connect() as conn:
        errors_before = conn.execute(select(func.count()).select_from(WorkError)).scalar()
        cards_before = conn.execute(select(func.count()).select_from(Survey)).scalar()
    form_button = [b for b in at.button if b.label == t("kpi.errors.save", lang="en")]
    assert form_button
    form_button[0].click().run()
    assert not at.exception and t("kpi.errors.saved", lang="en") in texts(at)
    at = _run("pages/kpi_surveys.py", kpi_db, "demo_lead")
    save = [b for b in at.button if b.label == t("kpi.surveys.save", lang="en")]
    save[0].click().run()
    assert not at.exception and t("kpi.surveys.saved", lang="en") in texts(at)
    with kpi_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(WorkError)).scalar() == errors_before + 1
        assert conn.execute(select(func.count()).select_from(Survey)).scalar() == cards_before + 1
        actions = set(conn.execute(select(AuditLog.action).where(AuditLog.action.like("kpi.%"))).scalars())
    assert {"kpi.work_error", "kpi.survey_record"} <= actions
    quarterly = next(df for df in _frames(at) if "mean_score" in df.columns)
    assert not set(quarterly["name"]) & _foreign_agent_names(kpi_db, "demo_lead")


def test_downloads_offered_per_policy(kpi_db):
    for username, path in (("demo_lead", "pages/kpi_team.py"), ("demo_manager", "pages/kpi_department.py"),
                           ("demo_agent", "pages/kpi_me.py")):
        at = _run(path, kpi_db, username)
        assert len(at.get("download_button")) >= 2, (username, path)
