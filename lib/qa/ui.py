"""Streamlit pieces the QA pages share: the transcript, the checks panel, the rubric form, a pager.

Message text is shown with st.text (never as Markdown): transcripts are untrusted input.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.i18n import current_language, t
from lib.qa import reviews
from lib.qa.rubric import Rubric

RESULTS = ("pass", "fail", "na")


def choose(widget, label: str, keys: list, fmt, *, key: str, index: int = 0, **kw):
    """A radio/selectbox over translated labels, returning the chosen key. The labels are built
    here (not through format_func), so the widget's value is plain text in the current language."""
    labels = [fmt(k) for k in keys]
    picked = widget(label, labels, index=index, key=key, **kw)
    return keys[labels.index(picked)] if picked in labels else keys[index]


def transcript(engine, chat_id: int, frame: pd.DataFrame | None = None) -> None:
    """A chat's messages with the wait before each agent reply (``frame``: the messages already read)."""
    df = reviews.transcript(engine, chat_id) if frame is None else frame
    if df.empty:
        st.info(t("qa.wb.no_messages"))
        return
    for r in df.itertuples():
        who = "assistant" if r.speaker == "agent" else "user"
        with st.chat_message(who, avatar=":material/support_agent:" if who == "assistant" else ":material/person:"):
            st.text(r.text)
            bits = [t(f"qa.speaker.{r.speaker}")]
            if r.time is not None and not pd.isna(r.time):
                bits.append(pd.Timestamp(r.time).strftime("%H:%M:%S"))
            if r.wait_s is not None and not pd.isna(r.wait_s):
                w = t("qa.wb.wait", s=int(r.wait_s))
                bits.append(f":red[**{w} · {t('qa.wb.slow')}**]" if r.slow else w)
            st.caption(" · ".join(bits))


def checks_panel(check: dict | None) -> None:
    st.markdown(f"**{t('qa.wb.checks')}**")
    if not check:
        st.caption(t("qa.wb.no_checks"))
        return

    def yn(v):
        return "—" if v is None else t("qa.result.pass" if v else "qa.result.fail")

    rows = [
        (t("qa.check.greeting"), yn(check.get("greeting_ok"))),
        (t("qa.check.closing"), yn(check.get("closing_ok"))),
        (t("qa.check.first_response"), "N/A" if check.get("first_response_s") is None
         else t("qa.wb.wait", s=check["first_response_s"])),
        (t("qa.check.slow_replies"), "N/A" if check.get("slow_replies") is None else str(check["slow_replies"])),
        (t("qa.check.max_wait"), "N/A" if check.get("max_wait_s") is None else t("qa.wb.wait", s=check["max_wait_s"])),
        (t("qa.check.forbidden"), "、".join(check.get("forbidden_hits") or []) or "—"),
        (t("qa.check.apology"), "—" if not check.get("apology_needed") else yn(check.get("apology_ok"))),
    ]
    st.dataframe(pd.DataFrame(rows, columns=[t("qa.wb.check"), t("qa.wb.result")]), hide_index=True)


def rubric_form(rub: Rubric, prefix: str, suggested: dict[str, str | None], submit_label: str,
                initial: dict[str, str] | None = None) -> tuple[bool, dict[str, str], str]:
    """The rubric as one form: a pass/fail/N-A choice per criterion (starting from the suggestion),
    and a comment. Widget keys are stable per ``prefix``, so what was typed survives a refused submit."""
    lang = current_language()
    with st.form(f"{prefix}_form", clear_on_submit=False):
        results = {}
        for c in rub.criteria:
            start = (initial or {}).get(c.code) or suggested.get(c.code) or "pass"
            label = c.name(lang) + (" ⚠" if c.critical else "") + f"  ({t('qa.rubric.weight')} {float(c.weight):g})"
            sug = suggested.get(c.code)
            results[c.code] = choose(
                st.radio, label, list(RESULTS), lambda v: t(f"qa.result.{v}"), index=RESULTS.index(start),
                horizontal=True, key=f"{prefix}_{c.code}",
                help=t("qa.wb.suggested", v=t(f"qa.result.{sug}")) if sug else None)
        comment = st.text_area(t("qa.wb.comment"), key=f"{prefix}_comment", max_chars=4000)
        submitted = st.form_submit_button(submit_label, type="primary")
    st.caption(t("qa.rubric.legend", pass_mark=f"{float(rub.pass_mark):g}", version=rub.version))
    return submitted, results, comment


def tier_label(tier: str) -> str:
    return t(f"qa.tier.{tier}")
