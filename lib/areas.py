"""Loading the areas' optional hook modules (home sections, exports, event listeners) by name."""

from __future__ import annotations

import importlib
import importlib.util


def import_present(modules) -> None:
    """Import each dotted module whose package and file exist; an absent area is skipped."""
    for mod in modules:
        pkg = mod.rsplit(".", 1)[0]
        if importlib.util.find_spec(pkg) is not None and importlib.util.find_spec(mod) is not None:
            importlib.import_module(mod)
