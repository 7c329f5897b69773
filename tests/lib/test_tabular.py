"""Downloads and exports neutralise spreadsheet formulas and keep Chinese text readable."""

import io

import pandas as pd
from openpyxl import load_workbook

from lib.tabular import neutralise_formulas, to_csv_bytes, to_xlsx_bytes

HOSTILE = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "正常文本", "a=b"]


def test_formula_cells_are_prefixed_and_others_left_alone():
    df = pd.DataFrame({"text": HOSTILE, "n": range(len(HOSTILE))})
    out = neutralise_formulas(df)
    assert out["text"].tolist()[:5] == ["'" + v for v in HOSTILE[:5]]
    assert out["text"].tolist()[5:] == ["正常文本", "a=b"]
    assert out["n"].tolist() == list(range(len(HOSTILE)))
    assert df["text"].tolist() == HOSTILE  # the caller's frame is not changed


def test_csv_has_a_bom_and_no_live_formula():
    data = to_csv_bytes(pd.DataFrame({"x": HOSTILE}))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "正常文本" in text
    assert not any(line.startswith(("=", "+", "-", "@")) for line in text.splitlines()[1:])


def test_xlsx_cells_hold_text_not_formulas():
    wb = load_workbook(io.BytesIO(to_xlsx_bytes(pd.DataFrame({"x": HOSTILE}))))
    values = [c.value for c in wb.active["A"][1:]]
    assert values[0] == "'" + HOSTILE[0]
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)
