"""What a setting is: its key, default, type and bounds, with labels in both languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    # int | float | bool | str | list | dict | choice | time
    kind: str
    label_zh: str
    label_en: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = field(default_factory=tuple)
    source: str = ""  # where in shared/domain.md the default comes from

    def validate(self, value: Any) -> Any:
        """Return the value in its canonical type, or raise ValueError with a clear message."""
        k = self.kind
        if k == "int":
            if isinstance(value, bool):
                raise ValueError(f"{self.key}: expected a whole number")
            try:
                v = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{self.key}: expected a whole number, got {value!r}") from None
            if isinstance(value, float) and value != v:
                raise ValueError(f"{self.key}: expected a whole number, got {value!r}")
        elif k == "float":
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{self.key}: expected a number, got {value!r}") from None
        elif k == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.key}: expected true or false")
            v = value
        elif k in ("str", "time"):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{self.key}: expected a non-empty text")
            v = value.strip()
            if k == "time":
                parts = v.split(":")
                if len(parts) != 2 or not all(p.isdigit() for p in parts) or not (
                    0 <= int(parts[0]) <= 23 and 0 <= int(parts[1]) <= 59
                ):
                    raise ValueError(f"{self.key}: expected a time as HH:MM, got {value!r}")
        elif k == "choice":
            if value not in self.choices:
                raise ValueError(f"{self.key}: must be one of {', '.join(map(str, self.choices))}")
            v = value
        elif k == "list":
            if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
                raise ValueError(f"{self.key}: expected a list of texts")
            v = [x.strip() for x in value if x.strip()]
        elif k == "dict":
            if not isinstance(value, dict):
                raise ValueError(f"{self.key}: expected a mapping")
            v = value
            if isinstance(self.default, dict) and self.default:
                missing = set(self.default) - set(value)
                if missing:
                    raise ValueError(f"{self.key}: missing {', '.join(sorted(missing))}")
        else:  # pragma: no cover - catalogue error
            raise ValueError(f"{self.key}: unknown kind {k}")
        if self.minimum is not None and k in ("int", "float") and v < self.minimum:
            raise ValueError(f"{self.key}: must be at least {self.minimum:g}")
        if self.maximum is not None and k in ("int", "float") and v > self.maximum:
            raise ValueError(f"{self.key}: must be at most {self.maximum:g}")
        return v
