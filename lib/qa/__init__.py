"""QA chat-log scoring (domain.md §3): import, automatic checks, rubric,
provable daily sampling, the scoring workbench, points and bonus tiers,
disputes, calibration and results."""
