"""Named reports for ``python -m db export REPORT``: the same figures the pages show.

Each area registers its reports here (``register``); a report returns one or
more named tables. The writer neutralises spreadsheet formulas in every cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from lib.tabular import neutralise_formulas


@dataclass(frozen=True)
class Report:
    name: str
    description: str
    needs_month: bool
    build: Callable[..., dict[str, pd.DataFrame]]  # (engine, month: str | None) -> {sheet: frame}


REPORTS: dict[str, Report] = {}
AREA_EXPORT_MODULES = ("lib.qa.exports", "lib.complaints.exports", "lib.kpis.exports", "lib.portfolio.exports")


def register(report: Report) -> None:
    REPORTS[report.name] = report


def load_all() -> dict[str, Report]:
    from lib.areas import import_present

    import_present(AREA_EXPORT_MODULES)
    return REPORTS


def write(tables: dict[str, pd.DataFrame], path: Path, fmt: str) -> list[Path]:
    """Write CSV (one file per table) or one XLSX workbook; returns the files written."""
    path = Path(path)
    if fmt == "xlsx":
        out = path.with_suffix(".xlsx")
        with pd.ExcelWriter(out, engine="openpyxl") as xw:
            for sheet, df in tables.items():
                neutralise_formulas(df).to_excel(xw, index=False, sheet_name=sheet[:31])
        return [out]
    files = []
    for sheet, df in tables.items():
        out = path.with_suffix(".csv") if len(tables) == 1 else path.with_name(f"{path.stem}_{sheet}.csv")
        neutralise_formulas(df).to_csv(out, index=False, encoding="utf-8-sig")
        files.append(out)
    return files


def _audit_report(engine: Engine, month: str | None = None) -> dict[str, pd.DataFrame]:
    from lib import admin

    return {"audit": admin.audit_export(engine)}


register(Report("audit", "the whole audit log", False, _audit_report))
