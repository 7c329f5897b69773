"""lib.ui helpers: coloured_cells hands Streamlit the cell colours without pandas rendering the table (the
message Streamlit builds must colour exactly the cells asked for); deferred downloads keep their language."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

from lib.kpis.views import GREEN, RED, _style
from lib.ui import coloured_cells


def _coloured(proto: ArrowData, uuid: str) -> dict[tuple[int, int], str]:
    """(row, column) -> colour, read back from the CSS Streamlit sends to the browser."""
    out = {}
    for rule in proto.styler.styles.splitlines():
        selectors, _, body = rule.partition("{")
        colour = re.search(r"background-color:\s*([^;}\s]+)", body).group(1)
        for sel in selectors.split(","):
            m = re.fullmatch(rf"#T_{uuid}_row(\d+)_col(\d+)", sel.strip())
            assert m, sel
            out[(int(m.group(1)), int(m.group(2)))] = colour
    return out


def test_the_message_colours_exactly_the_cells_asked_for():
    df = pd.DataFrame({"name": ["a", "b", "c"], "x": [1.5, 2.5, None], "y": [10, 20, 30]}, index=[7, 8, 9])
    colours = pd.DataFrame({"x": ["#0f0", None, "#f00"], "y": [None, "#f00", None]}, index=[7, 8, 9])
    proto = ArrowData()
    marshall_styler(proto, coloured_cells(df, colours, "t1"), "default")
    assert proto.styler.uuid == "t1"
    assert _coloured(proto, "t1") == {(0, 1): "#0f0", (2, 1): "#f00", (1, 2): "#f00"}
    # the display values Streamlit also sends are the cells' own values (formats come from column_config)
    shown = pa.ipc.open_stream(proto.styler.display_values).read_pandas()
    assert shown["name"].tolist() == ["a", "b", "c"] and shown["x"].tolist()[:2] == ["1.5", "2.5"]


def test_colours_follow_the_frame_order_not_the_colour_frame_order():
    df = pd.DataFrame({"x": [1, 2]}, index=[5, 3])
    colours = pd.DataFrame({"x": ["#111", "#222"]}, index=[3, 5])
    proto = ArrowData()
    marshall_styler(proto, coloured_cells(df, colours, "t2"), "default")
    assert _coloured(proto, "t2") == {(0, 0): "#222", (1, 0): "#111"}


def test_kpi_tables_colour_met_green_missed_red_and_no_target_none():
    shown = pd.DataFrame({"name": ["a", "b", "c"], "k1": [1.0, 2.0, 3.0], "k2": [4, 5, 6]})
    ok = pd.DataFrame({"k1": [True, False, None], "k2": pd.Series([True, True, False], dtype=bool),
                       "not_shown": [True, True, True]})
    proto = ArrowData()
    marshall_styler(proto, _style(shown, ok, "kpi_t"), "default")
    assert _coloured(proto, "kpi_t") == {(0, 1): GREEN, (1, 1): RED, (0, 2): GREEN, (1, 2): GREEN, (2, 2): RED}


def test_a_deferred_download_labels_in_the_language_of_the_run_that_offered_it(monkeypatch):
    """A download built on click (outside the page run) keeps the offering session's language, not the
    language of whichever run the process saw last."""
    import lib.i18n
    from lib.i18n import t
    from lib.ui import deferred

    monkeypatch.setattr(lib.i18n, "_last_seen", "en")
    build = deferred(lambda: pd.DataFrame({t("ui.download"): [1]}))  # offered while English was current
    monkeypatch.setattr(lib.i18n, "_last_seen", "zh")  # then another session ran in Chinese
    assert list(build().columns) == ["Download"]
    assert t("ui.download") == "下载"  # and the override ended with the build
