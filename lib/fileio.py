"""Reading uploaded or command-line files the way people make them.

UTF-8 with or without BOM, and GB18030 (what Excel writes in China); problems
are reported with their line numbers, and an import is refused whole unless
the caller asked to skip bad lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ImportRefused(ValueError):
    """The file is refused whole; ``issues`` say where and why."""

    def __init__(self, message: str, issues: list[ImportIssue] | None = None):
        super().__init__(message)
        self.issues = issues or []


@dataclass(frozen=True)
class ImportIssue:
    line: int  # 1-based line of the file (CSV: the physical line where the record starts)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    inserted: int = 0
    skipped: int = 0  # already present (idempotent re-import)
    rejected: list[ImportIssue] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def summary(self) -> str:
        s = f"{self.inserted} inserted, {self.skipped} already present, {len(self.rejected)} rejected"
        return s


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), else GB18030.

    NUL bytes are refused: no text format we take contains them.
    """
    if b"\x00" in data:
        first = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportRefused(f"line {first}: the file contains NUL bytes; it is not a text file",
                            [ImportIssue(first, "NUL byte")])
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _bad_encoding(data, exc) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise _bad_encoding(data, exc) from None


def _bad_encoding(data: bytes, exc: UnicodeDecodeError) -> ImportRefused:
    line = data[: exc.start].count(b"\n") + 1
    return ImportRefused(f"line {line}: the file is neither UTF-8 nor GB18030 text",
                         [ImportIssue(line, "undecodable bytes")])
