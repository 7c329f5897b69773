"""Every label of the interface, in Simplified Chinese and English.

Each area keeps its strings in its own module (``STRINGS = {key: (zh, en)}``);
``t(key, **fields)`` picks the current language. Keys are unique across areas.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from lib.i18n import complaints, core, kpi, portfolio, qa

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {}
for _mod in (core, qa, complaints, portfolio, kpi):
    for _k, _v in _mod.STRINGS.items():
        if _k in STRINGS:
            raise RuntimeError(f"i18n key {_k!r} defined twice")
        STRINGS[_k] = _v

_SESSION_KEY = "lang"


_last_seen = DEFAULT_LANGUAGE
_forced = threading.local()


@contextmanager
def using_language(lang: str):
    """Labels in ``lang`` on this thread for the block, whatever the session says: for work a page
    hands off to run later outside its run (a deferred download builds its file when clicked)."""
    previous = getattr(_forced, "lang", None)
    _forced.lang = lang
    try:
        yield
    finally:
        _forced.lang = previous


def current_language() -> str:
    """The session's language inside a page run; outside one, the last language a run used.

    Outside a run means the CLI (no session: the default) or AppTest calling a
    widget's format_func from the test thread after the run.
    """
    global _last_seen
    forced = getattr(_forced, "lang", None)
    if forced is not None:
        return forced
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_seen
    import streamlit as st

    lang = st.session_state.get(_SESSION_KEY)
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    _last_seen = lang
    return lang


def set_language(lang: str) -> None:
    import streamlit as st

    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    st.session_state[_SESSION_KEY] = lang


def t(key: str, lang: str | None = None, **fields) -> str:
    """The label ``key`` in ``lang`` (default: the session's), with ``{fields}`` filled in."""
    lang = lang or current_language()
    pair = STRINGS.get(key)
    if pair is None:
        return key  # a missing key shows itself; tests/lib/test_i18n.py keeps this from shipping
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**fields) if fields else text
