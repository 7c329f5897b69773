"""Complaints: report (being built)."""

from lib.guard import require_page

engine, user = require_page("complaints_report")
