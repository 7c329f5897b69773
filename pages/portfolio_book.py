"""A book: one RM's clients with their key figures and flags (an RM: their own; a manager: any)."""

import streamlit as st

from lib.guard import require_download, require_page
from lib.i18n import t
from lib.portfolio import service as svc
from lib.portfolio import views as v
from lib.ui import download_buttons

engine, user = require_page("portfolio_book")
scope, a, r, tz = svc.context(engine, user)

st.title(t("portfolio.page.book"))
v.as_of_caption(a)
rm_id = v.book_picker(engine, scope)
if rm_id is None:
    st.info(t("portfolio.choose_rm"))
    st.stop()

f = v.book_filters(rm_id)
counts = svc.flag_counts(engine, scope, f, a, r)
v.flag_metrics(counts)

c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
flag = v.flag_picker(c1, counts, key="pbk_flag")
search = c2.text_input(t("portfolio.search"), key="pbk_search", max_chars=64)
sort = c3.selectbox(t("portfolio.sort_by"), v.BOOK_SORTS, format_func=lambda c: t(v.BOOK_LABELS[c]), key="pbk_sort")
desc = c4.toggle(t("portfolio.descending"), key="pbk_desc")

page_size = svc.page_size(engine)
df, total = svc.book_page(engine, scope, f, a, r, flag=flag, search=search, sort=sort, desc=desc, limit=page_size,
                          offset=v.page_offset("pbk_page", page_size))
v.pager(total, page_size, key="pbk_page")
st.caption(t("portfolio.pick_client"))
ev = st.dataframe(v.book_table(df, tz), hide_index=True, key="pbk_table", on_select="rerun",
                  selection_mode="single-row", column_config=v.book_columns())
row = v.selected_row(ev)
if row is not None:
    v.goto_client(int(df.loc[row, "id"]))

if require_download(user, "portfolio_book"):
    with st.expander(t("ui.download")):
        st.caption(t("portfolio.download_note"))
        if st.toggle(t("portfolio.prepare_download"), key="pbk_prepare"):
            book, ids = svc.book_download_frame(engine, scope, rm_id, a, r, tz)
            download_buttons(book, f"portfolio_book_{rm_id}", "pbk_dl",
                             on_download=lambda: svc.log_download(engine, scope, "portfolio_book", ids,
                                                                  {"rm_id": rm_id}))
