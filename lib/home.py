"""What the home page shows each role: every area registers its own summary here.

An area adds ``(roles, function)``; the function takes (engine, user) and draws
its summary (tiles, the items that need attention) with Streamlit calls that
live in lib/ so the page stays thin.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from lib.auth import CurrentUser

SECTIONS: list[tuple[frozenset[str], Callable[[Engine, CurrentUser], None]]] = []


def register(roles, fn: Callable[[Engine, CurrentUser], None]) -> None:
    SECTIONS.append((frozenset(roles), fn))


def sections_for(user: CurrentUser) -> list[Callable[[Engine, CurrentUser], None]]:
    _load_areas()
    return [fn for roles, fn in SECTIONS if roles & user.roles]


_LOADED = False
AREA_HOME_MODULES = ("lib.portfolio.home", "lib.complaints.home", "lib.qa.home", "lib.kpis.home")


def _load_areas() -> None:
    """Import the area modules that register home sections (once)."""
    global _LOADED
    if _LOADED:
        return
    from lib.areas import import_present

    import_present(AREA_HOME_MODULES)
    _LOADED = True
