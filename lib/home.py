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
    import importlib
    import importlib.util

    for mod in AREA_HOME_MODULES:
        pkg = mod.rsplit(".", 1)[0]
        if importlib.util.find_spec(pkg) is not None and importlib.util.find_spec(mod) is not None:
            importlib.import_module(mod)
    _LOADED = True
