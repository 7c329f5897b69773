"""Row scoping: every portfolio page and download opened as an RM shows no client of another RM.

Run for demo_rm and for a second RM whose login the test creates.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from db.models import Client, User
from lib import auth, policy
from lib.portfolio import client as cq
from lib.portfolio import queries as q
from lib.portfolio import service as svc
from lib.portfolio.scope import scope_for
from tests.apptest import app, page, sign_in_state, texts
from tests.conftest import DEMO_TODAY


def _second_rm(engine) -> str:
    with engine.begin() as c:
        c.execute(update(User).where(User.username == "rm_002")
                  .values(password_hash=auth.hash_password("second-rm-1")))
    return "rm_002"


def _clients_by_rm(engine):
    with engine.connect() as c:
        rows = c.execute(select(Client.client_no, Client.name, Client.rm_id)).all()
    return rows


def _page_text(at) -> str:
    parts = [texts(at)]
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(parts)


@pytest.mark.parametrize("who", ["demo_rm", "second"])
def test_rm_sees_only_own_clients_everywhere(demo_db, who):
    username = "demo_rm" if who == "demo_rm" else _second_rm(demo_db)
    user = auth.load_user(demo_db, username=username)
    rows = _clients_by_rm(demo_db)
    foreign_nos = {r.client_no for r in rows if r.rm_id != user.rm_id}
    own = [r for r in rows if r.rm_id == user.rm_id]
    assert own and foreign_nos

    seen: list[str] = []
    for spec in policy.pages_for(user.roles):
        if not spec.key.startswith("portfolio_"):
            continue
        at = page(spec.file)
        sign_in_state(at, demo_db, username)
        at.session_state["lang"] = "zh"
        if spec.key == "portfolio_book":
            at.session_state["pbk_prepare"] = True  # the download too
        if spec.key == "portfolio_client":
            at.query_params["client"] = str(own_id(demo_db, user.rm_id))
        at.run()
        assert not at.exception, spec.key
        seen.append(_page_text(at))
        # every flag filter of the book
        if spec.key == "portfolio_book":
            for flag in q.rules.FLAG_NAMES:
                at.session_state["pbk_flag"] = flag
                at.run()
                assert not at.exception
                seen.append(_page_text(at))
    # the home page sections
    at = app()  # home, through app.py and st.navigation
    sign_in_state(at, demo_db, username)
    at.run()
    assert not at.exception
    seen.append(_page_text(at))
    blob = "\n".join(seen)
    leaked = [n for n in foreign_nos if n in blob]
    assert not leaked, leaked[:5]

    # the downloads and every lib query the pages call, with the RM's scope
    scope = scope_for(user)
    a = q.as_of(demo_db, DEMO_TODAY)
    r = q.load_rules(demo_db)
    book, ids = svc.book_download_frame(demo_db, scope, user.rm_id, a, r, "Asia/Shanghai")
    own_nos = {x.client_no for x in own}
    assert set(book.iloc[:, 0]) == own_nos
    assert set(ids) <= {i for i in own_ids(demo_db, user.rm_id)}
    for f in (q.Filters(), q.Filters(rm_id=user.rm_id % 40 + 1)):
        assert set(q.overview(demo_db, scope, f, a, r)["rm_id"]) <= {user.rm_id}
        assert set(q.key_clients_overdue(demo_db, scope, f, a, r)[0]["rm_id"]) <= {user.rm_id}
        assert set(q.worse_loans(demo_db, scope, f, a)[0]["rm_id"]) <= {user.rm_id}
    assert set(q.follow_ups(demo_db, scope, a, r)["rm_id"]) <= {user.rm_id}
    assert set(cq.search_clients(demo_db, scope, "公司", limit=1000)["rm_id"]) <= {user.rm_id}
    with pytest.raises(Exception):  # noqa: B017 - the scope refuses another book
        from lib.portfolio.scope import book_of

        book_of(scope, user.rm_id % 40 + 1)


def own_ids(engine, rm_id):
    with engine.connect() as c:
        return list(c.execute(select(Client.id).where(Client.rm_id == rm_id)).scalars())


def own_id(engine, rm_id):
    return own_ids(engine, rm_id)[0]
