"""Labels of the complaints area: key -> (简体中文, English)."""

STRINGS: dict[str, tuple[str, str]] = {}
