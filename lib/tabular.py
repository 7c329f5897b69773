"""Tables leaving the dashboard (downloads, exports): CSV with BOM and XLSX, formulas neutralised.

No Streamlit here, so the command line can use it without a running app.
"""

from __future__ import annotations

import io

import pandas as pd


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with a quote."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
            )
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    # UTF-8 with BOM so that Excel in China opens Chinese text correctly
    return neutralise_formulas(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        neutralise_formulas(df).to_excel(xw, index=False, sheet_name=sheet[:31])
    return buf.getvalue()
