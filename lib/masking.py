"""Masking of personal data: ID numbers, phone numbers and card numbers.

Every role but those that need the full value (policy.UNMASKED_ROLES) sees
these masked, in profiles, narratives and downloads alike.
"""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X), 15-digit old ID
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# mainland mobile numbers, optionally +86 and separators
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})(?!\d)")
# bank card numbers: 16-19 digits, in any grouping by spaces or dashes (4-4-4-4, 4-4-4-4-3, 6-13 …)
_CARD_RE = re.compile(r"(?<![0-9A-Za-z])\d(?:[-\s]?\d){15,18}(?![0-9A-Za-z])")


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_card(value: str | None) -> str | None:
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_text(text: str | None) -> str | None:
    """Mask every ID, phone and card number found in free text (narratives, notes, chats)."""
    if not text:
        return text
    out = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    out = _CARD_RE.sub(lambda m: mask_card(m.group(0)), out)
    out = _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), out)
    return out
