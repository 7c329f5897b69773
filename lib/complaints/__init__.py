"""Complaint queues (domain.md §2): register, assign, chase and close complaints on the
department's clocks, and the monthly complaint report.

Modules: ``clocks`` (deadlines), ``workflow`` (the state machine), ``scope`` (who sees
which rows), ``service`` (every write), ``queue`` (lists and the detail), ``report``
(monthly figures, ``timeliness`` for the KPIs), ``importer`` (CSV and the CFPB preset),
``escalation`` (督办), ``home`` and ``exports`` (registrations).
"""

# The department's vocabularies (domain.md §2). Numbers live in settings; these are names.
CHANNELS = ("hotline", "chat", "weibo", "sms", "email", "letter", "branch", "regulator", "media")
SEVERITIES = ("low", "medium", "high")
OUTCOMES = ("satisfied", "not_satisfied", "unreachable")
DEPARTMENTS = ("retail_banking", "card_center", "credit", "wealth", "operations", "technology", "branch_network",
               "customer_service")
