"""The naive way, for comparison: select * into pandas, then pandas.

Each function computes the same output as the heaviest page of a view
computes in SQL, the way a spreadsheet-minded script would.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine


def _frame(engine: Engine, table: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_table(table, conn)


def complaints_month_report(engine: Engine, month: str) -> pd.DataFrame:
    df = _frame(engine, "complaints")
    df = df[df["accepted_at"].dt.strftime("%Y-%m") == month]
    return df.groupby(["category", "channel"]).size().reset_index(name="n")


def portfolio_overview(engine: Engine) -> pd.DataFrame:
    clients = _frame(engine, "clients")
    balances = _frame(engine, "balances")
    last = balances[balances["as_of"] == balances["as_of"].max()]
    merged = last.merge(clients[["id", "rm_id", "tier"]], left_on="client_id", right_on="id")
    return merged.groupby(["rm_id", "tier"])["balance_fen"].sum().reset_index()


def qa_results(engine: Engine) -> pd.DataFrame:
    reviews = _frame(engine, "qa_reviews")
    reviews = reviews[reviews["sample_id"].notna()]
    daily = reviews.groupby(["agent_id", "work_date"]).agg(n=("id", "size"), bad=("qualified", lambda s: (~s).sum()))
    return daily.reset_index()


def kpi_team(engine: Engine) -> pd.DataFrame:
    msgs = _frame(engine, "chat_messages")
    chats = _frame(engine, "chats")
    first_agent = msgs[msgs["speaker"] == "agent"].groupby("chat_id")["ts"].min()
    first_customer = msgs[msgs["speaker"] == "customer"].groupby("chat_id")["ts"].min()
    wait = (first_agent - first_customer).dt.total_seconds().rename("first_response_s").reset_index()
    merged = wait.merge(chats[["id", "agent_id"]], left_on="chat_id", right_on="id")
    return merged.groupby("agent_id")["first_response_s"].median().reset_index()


NAIVE = {
    "complaints": complaints_month_report,
    "portfolio": portfolio_overview,
    "qa": qa_results,
    "kpi": kpi_team,
}
