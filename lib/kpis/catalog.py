"""The one KPI catalogue (domain.md §4): definition, unit, direction, target and records of each KPI.

Every page, download and export takes its KPIs from ``KPIS`` and its values
from ``lib.kpis.metrics.compute`` — there is no second formula anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower"]
# what the drill-down of a KPI lists
Records = Literal["chats", "reviews", "complaints", "follow_ups", "surveys", "errors"]


@dataclass(frozen=True)
class Kpi:
    key: str  # also the key of its target in the setting kpi.targets
    unit: str  # count | s | pct | points | ratio | score
    direction: Direction
    records: Records
    # counts scale their monthly per-agent target to the rostered agent-days of the scope
    pro_rata: bool = False
    # the rollup columns the value is built from (for documentation and the ranking's tooltips)
    inputs: tuple[str, ...] = ()
    fmt: str = "{:,.0f}"

    @property
    def label_key(self) -> str:
        return f"kpi.k.{self.key}"

    @property
    def help_key(self) -> str:
        return f"kpi.d.{self.key}"

    @property
    def target_key(self) -> str:
        return self.key

    def format(self, value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return self.fmt.format(value)


KPIS: tuple[Kpi, ...] = (
    Kpi("chats_handled", "count", "higher", "chats", pro_rata=True, inputs=("chats",)),
    Kpi("first_response_median_s", "s", "lower", "chats", inputs=("rollup_frt_agent_day",), fmt="{:,.0f} s"),
    Kpi("first_response_p90_s", "s", "lower", "chats", inputs=("rollup_frt_agent_day",), fmt="{:,.0f} s"),
    Kpi("replies_within_limit_pct", "pct", "higher", "chats", inputs=("replies_within", "replies_timed"),
        fmt="{:.1f}%"),
    Kpi("qa_monthly_points", "points", "higher", "reviews", inputs=("lib.qa.points.agent_month",), fmt="{:.1f}"),
    Kpi("unqualified_rate_pct", "pct", "lower", "reviews", inputs=("unqualified", "reviews"), fmt="{:.1f}%"),
    Kpi("complaints_against", "count", "lower", "complaints", pro_rata=True, inputs=("complaints",)),
    Kpi("complaints_replied_24h_pct", "pct", "higher", "complaints",
        inputs=("reply_on_time", "reply_late", "reply_open"), fmt="{:.1f}%"),
    Kpi("follow_ups_3d_pct", "pct", "higher", "follow_ups", inputs=("fu_on_time", "fu_late", "fu_open"),
        fmt="{:.1f}%"),
    Kpi("follow_up_satisfaction_pct", "pct", "higher", "follow_ups", inputs=("fu_satisfied", "fu_reached"),
        fmt="{:.1f}%"),
    Kpi("contacts_per_resolution", "ratio", "lower", "chats", inputs=("tracked_chats", "resolving_chats"),
        fmt="{:.2f}"),
    Kpi("survey_satisfaction", "score", "higher", "surveys", inputs=("survey_score_sum", "surveys_answered"),
        fmt="{:.2f}"),
    Kpi("work_accuracy_pct", "pct", "higher", "errors", inputs=("work_errors", "scheduled"), fmt="{:.1f}%"),
)
KPI_BY_KEY = {k.key: k for k in KPIS}
KEYS = tuple(k.key for k in KPIS)


def target_for(kpi: Kpi, targets: dict, *, agent_days: float | None = None, days_per_month: int = 26,
               working_days: int | None = None) -> float | None:
    """The target of ``kpi`` for a scope.

    Counts (pro_rata) are monthly per agent: scaled to the scope's rostered
    agent-days (``agent_days`` / ``days_per_month`` agent-months). The QA score's
    target is capped at the month's working days (the most an agent can score).
    """
    raw = targets.get(kpi.target_key)
    if raw is None:
        return None
    value = float(raw)
    if kpi.pro_rata:
        if not agent_days:
            return None
        return value * float(agent_days) / float(days_per_month)
    if kpi.key == "qa_monthly_points" and working_days:
        return min(value, float(working_days))
    return value


def meets(kpi: Kpi, value, target) -> bool | None:
    """Whether ``value`` meets ``target`` in the KPI's direction; None when either is unknown."""
    if value is None or target is None:
        return None
    try:
        v, tg = float(value), float(target)
    except (TypeError, ValueError):
        return None
    if math.isnan(v) or math.isnan(tg):
        return None
    return v >= tg if kpi.direction == "higher" else v <= tg


def better(kpi: Kpi, delta) -> bool | None:
    """Whether a change ``delta`` is an improvement."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)) or delta == 0:
        return None
    return (delta > 0) == (kpi.direction == "higher")
