"""Labels of the kpi area: key -> (简体中文, English)."""

STRINGS: dict[str, tuple[str, str]] = {}
