"""Entry point: boot checks, sign-in, then only the pages the user's roles allow."""

from __future__ import annotations

import streamlit as st

from lib import policy
from lib.guard import booted
from lib.i18n import t
from lib.session import require_login
from lib.ui import demo_banner, sidebar

st.set_page_config(page_title="客服部工作台 · Service Dashboard", page_icon=":material/support_agent:", layout="wide")

engine, cookie_key = booted()
demo_banner(engine)
user = require_login(engine, cookie_key)

sections: dict[str, list] = {}
for spec in policy.pages_for(user.roles):
    page = st.Page(spec.file, title=t(spec.title_key), icon=spec.icon, url_path=spec.url_path,
                   default=spec.key == "home")
    sections.setdefault(t(spec.section), []).append(page)

nav = st.navigation(sections)
sidebar(engine, cookie_key, user)
nav.run()
