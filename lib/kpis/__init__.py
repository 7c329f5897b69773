"""Team KPIs (domain.md §4): one catalogue, rollups, scoped queries, drill-downs.

Modules:
- catalog  — every KPI with its definition, unit, direction and target setting;
- scope    — whose figures a viewer may see (team lead: own teams; agent: self);
- rollups  — per-chat and per-complaint facts and the daily per-agent rollups;
- metrics  — the one SQL-backed computation of every KPI, by agent, team, day or month;
- drill    — the chats, reviews, complaints, cards and errors behind each figure;
- surveys  — service-quality cards (CSV import, form, quarterly view) and work errors;
- views    — Streamlit helpers shared by the KPI pages (cached reads, tiles, tables).
"""
