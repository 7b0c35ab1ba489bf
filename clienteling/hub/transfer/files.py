"""Reading and writing the import formats: CSV with a header row, or JSON Lines.

Both are streamed (one row in memory at a time), so a file of a million customers costs no
more memory than a file of ten. The ``csv`` module reads CSV (quoted fields, embedded
newlines: a row's line number is where it starts); ``orjson`` reads JSON Lines.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO, cast

import orjson

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
_EXTENSIONS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# A CSV cell may hold a whole JSON condition or attributes object, well past csv's 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


class FileProblem(Exception):
    """The file as a whole cannot be read (no header, not the format it claims): one line."""


@dataclass(frozen=True)
class SourceRow:
    """One row of the file: where it starts, and its values by column (CSV: text, an empty
    cell left out; JSON Lines: the object as parsed), or why the line could not be read."""

    line: int
    values: dict[str, Any]
    problem: str | None = None


def format_of(path: str | Path, given: str | None) -> Format:
    """``given`` (``--format``) if set, else the file's extension."""
    if given:
        if given not in FORMATS:
            raise FileProblem(f"--format must be one of {', '.join(FORMATS)}, not {given!r}")
        return "csv" if given == "csv" else "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise FileProblem(f"{Path(path).name}: cannot tell the format from the extension "
                          f"{suffix or '(none)'}; use .csv or .jsonl, or give --format")
    return _EXTENSIONS[suffix]


HeaderCheck = Callable[[list[str]], str | None]


def read_rows(stream: TextIO, fmt: Format, header_check: HeaderCheck | None = None
              ) -> Iterator[SourceRow]:
    """The rows of ``stream``, each with its line number (the header is line 1 in CSV).
    ``header_check`` is given a CSV file's column names and answers why they will not do,
    or None: a problem there is the whole file's, said before any row is read."""
    if fmt == "csv":
        yield from _csv_rows(stream, header_check)
    else:
        yield from _jsonl_rows(stream)


def _csv_rows(stream: TextIO, header_check: HeaderCheck | None) -> Iterator[SourceRow]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem("the file is empty: a CSV file starts with a header row") from None
    except csv.Error as exc:
        raise FileProblem(f"line 1: {exc}") from None
    names = [name.strip().lstrip("\ufeff") for name in header]
    if not any(names) or len(set(names)) != len(names):
        raise FileProblem("line 1: the header must name each column once")
    problem = header_check(names) if header_check is not None else None
    if problem:
        raise FileProblem(f"line 1: {problem}")
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield SourceRow(line, {}, f"is not valid CSV: {exc}")
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield SourceRow(start, {}, f"has {len(cells)} cells for {len(names)} columns")
            continue
        yield SourceRow(start, {n: c for n, c in zip(names, cells, strict=True) if c != ""})


def _jsonl_rows(stream: TextIO) -> Iterator[SourceRow]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield SourceRow(number, {}, f"is not valid JSON: {exc}")
            continue
        if not isinstance(value, dict):
            yield SourceRow(number, {}, "must be a JSON object")
            continue
        yield SourceRow(number, value)


class RowWriter:
    """Writes rows in one of the formats; CSV columns fixed up front (``columns``)."""

    def __init__(self, stream: TextIO, fmt: Format, columns: Sequence[str]) -> None:
        self.stream = stream
        self.fmt = fmt
        self.columns = list(columns)
        self._csv = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writerow(self.columns)

    def write(self, row: dict[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow([cell(row.get(c)) for c in self.columns])
        else:
            present = {k: v for k, v in row.items() if v is not None}
            self.stream.write(orjson.dumps(present).decode() + "\n")


def cell(value: Any) -> str:
    """A value as a CSV cell: JSON for lists and objects, ``true``/``false`` for flags."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def open_text(path: str | Path, mode: str = "r") -> TextIO:
    """A file opened as the formats need: UTF-8 (a BOM from a spreadsheet tolerated), and
    for CSV no newline translation (the csv module does its own)."""
    encoding = "utf-8-sig" if "r" in mode else "utf-8"
    return cast(TextIO, open(path, mode, encoding=encoding, newline=""))
