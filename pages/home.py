"""Home: a greeting, the pages this user may open, and each area's summary for the user's roles."""

import streamlit as st

from lib import home, policy
from lib.guard import require_page
from lib.i18n import t
from lib.ui import page_link, role_label

engine, user = require_page("home")

st.title(t("home.title", name=user.display_name))
st.caption(t("home.roles") + " " + " · ".join(role_label(r) for r in sorted(user.roles)))

sections = home.sections_for(user)
for draw in sections:
    draw(engine, user)

st.subheader(t("home.my_pages"))
cols = st.columns(3)
for i, spec in enumerate(p for p in policy.pages_for(user.roles) if p.key != "home"):
    page_link(cols[i % 3], spec)
