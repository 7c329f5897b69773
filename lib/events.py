"""Change notifications between areas, inside the writer's transaction.

A writer calls ``emit(name, conn, **payload)`` after changing records; the
listeners (registered by the areas that keep derived data, e.g. the KPI
rollups) update what depends on them in the same transaction, so derived
figures are never out of step with the records behind them.

Events:
- ``chats_changed``      payload ``pairs``: iterable of (agent_id, work_date); an import adds
                         ``new_chat_ids`` (only those chats and their clients' earlier ones change)
- ``reviews_changed``    payload ``pairs``: iterable of (agent_id, work_date)
- ``complaints_changed`` payload ``complaint_ids``: iterable of ids
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_LISTENERS: dict[str, list[Callable]] = defaultdict(list)
LISTENER_MODULES = ("lib.kpis.rollups",)
_LOADED = False


def listen(name: str, fn: Callable) -> None:
    if fn not in _LISTENERS[name]:
        _LISTENERS[name].append(fn)


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    from lib.areas import import_present

    import_present(LISTENER_MODULES)
    _LOADED = True


def emit(name: str, conn, **payload) -> None:
    _load()
    for fn in list(_LISTENERS.get(name, ())):
        fn(conn, **payload)
