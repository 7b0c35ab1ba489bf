"""The import and export loops (SPEC §7, issue 16).

An import reads the file a row at a time and writes ``chunk_size`` rows per transaction, each
row inside its own savepoint: a rejected row (any field the API would refuse) changes nothing,
is written to the report with its line, field and problem, and the rows around it commit. A
re-run finds every row by its natural key and changes only what differs, so it never makes a
duplicate and, for an unchanged file, writes nothing at all. ``dry_run`` does the same work
and rolls every chunk back.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from clienteling.engine.errors import DomainError, ValidationError
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.transfer import TransferService
from clienteling.hub.transfer.files import Format, RowWriter, SourceRow, open_text, read_rows
from clienteling.hub.transfer.kinds import Kind, Unchanged, records

# Rows per transaction. Each commit writes every page the chunk touched to SQLite's log (and
# the checkpoints copy them on), and random-UUID keys spread a chunk over the indexes. At
# 200,000 profiles: 500 -> 2,000 rows cut the import's CPU 58.9 -> 48.3 s; with the later
# cuts, 2,000 -> 5,000 -> 10,000 rows 34.6 -> 30.1 -> 29.1 s (sys 9.9 -> 5.7 -> 3.5 s) for a
# peak RSS of 370 -> 389 -> 418 MB. Memory stays flat at any file size: one chunk's rows
# are held (issue 16).
CHUNK_ROWS = 5000


@dataclass
class Summary:
    """What an import did; its JSON is the command's last line."""

    kind: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    report: str | None = None
    dry_run: bool = False

    def json(self) -> str:
        return orjson.dumps(asdict(self)).decode()


class _RolledBack(Exception):
    """Ends a dry run's chunk so its transaction rolls back."""


class Report:
    """The rejected rows, written as they are found (CSV: line, field, problem, row)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: TextIO | None = None
        self._writer: Any = None

    def add(self, line: int, field: str, problem: str, values: dict[str, Any]) -> None:
        if self._writer is None:
            self._stream = open_text(self.path, "w")
            self._writer = csv.writer(self._stream, lineterminator="\n")
            self._writer.writerow(["line", "field", "problem", "row"])
        self._writer.writerow([line, field, problem, orjson.dumps(values, default=str).decode()])

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


def report_path_for(source: str | Path) -> Path:
    """``customers.csv`` → ``customers.rejected.csv``, beside it."""
    path = Path(source)
    return path.with_name(f"{path.stem}.rejected.csv")


def _problems(exc: DomainError) -> list[tuple[str, str]]:
    if isinstance(exc, ValidationError) and exc.errors:
        return [(name, message) for name, messages in exc.errors.items() for message in messages]
    return [("row", exc.message)]


Progress = Callable[[Summary], None]


def import_file(cl: Clienteling, transfer: TransferService, kind: Kind, source: str | Path,
                fmt: Format, *, actor: Actor | None, dry_run: bool = False,
                report: Path | None = None, chunk_size: int = CHUNK_ROWS,
                progress: Progress | None = None) -> Summary:
    """Import ``source`` (see the module docstring); the file is opened here so a file that
    cannot be read is a ``FileNotFoundError``/``OSError`` before anything is written."""
    summary = Summary(kind.name, dry_run=dry_run)
    rejected = Report(report or report_path_for(source))
    try:
        with open_text(source) as stream:
            rows = read_rows(stream, fmt, kind.unknown_columns)
            while True:
                chunk = [row for _, row in zip(range(chunk_size), rows, strict=False)]
                if not chunk:
                    break
                _import_chunk(cl, transfer, kind, chunk, actor, dry_run, summary, rejected)
                if progress is not None:
                    progress(summary)
    finally:
        rejected.close()
    if summary.rejected:
        summary.report = str(rejected.path)
    return summary


def _import_chunk(cl: Clienteling, transfer: TransferService, kind: Kind, chunk: list[SourceRow],
                  actor: Actor | None, dry_run: bool, summary: Summary, rejected: Report) -> None:
    outcomes: list[str] = []
    refusals: list[tuple[SourceRow, list[tuple[str, str]]]] = []
    try:
        with transfer.chunk(actor) as unit:
            bodies: list[tuple[SourceRow, dict[str, Any]]] = []
            for row in chunk:
                if row.problem is not None:
                    refusals.append((row, [("line", row.problem)]))
                    continue
                # A JSON line's misspelt key (a CSV header's stopped the file at line 1).
                unknown = kind.unknown_fields(row.values)
                if unknown:
                    refusals.append((row, [(name, f"is not a field of {kind.name} (a "
                                            "misspelling?)") for name in unknown]))
                    continue
                try:
                    bodies.append((row, kind.body(row.values)))
                except DomainError as exc:
                    refusals.append((row, _problems(exc)))
            one_by_one = bodies
            if kind.in_bulk and bodies:
                # New records are made together (one INSERT per table, the database asked
                # once per key for the chunk); rows that update go one at a time below.
                found = kind.found_many(transfer, [body for _, body in bodies])
                new = [pair for pair, exists in zip(bodies, found, strict=True) if not exists]
                one_by_one = [pair for pair, exists in zip(bodies, found, strict=True) if exists]
                with unit.row():
                    made = kind.create_many(cl, actor, [body for _, body in new])
                for (row, _), result in zip(new, made, strict=True):
                    if isinstance(result, DomainError):
                        refusals.append((row, _problems(result)))
                    else:
                        outcomes.append("created")
            for row, body in one_by_one:
                try:
                    with unit.row():
                        outcomes.append(kind.upsert(cl, transfer, actor, body))
                except Unchanged:
                    outcomes.append("unchanged")
                except DomainError as exc:
                    refusals.append((row, _problems(exc)))
            if dry_run:
                raise _RolledBack
    except _RolledBack:
        pass
    # Rejections reported in file order, whichever path found them.
    refusals.sort(key=lambda refusal: refusal[0].line)
    # Counted once the chunk committed (or, in a dry run, would have).
    summary.read += len(chunk)
    for outcome in outcomes:
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    summary.rejected += len(refusals)
    for row, problems in refusals:
        for field, problem in problems:
            rejected.add(row.line, field, problem, row.values)


def terminal_progress(stream: TextIO | None = None) -> Progress | None:
    """A progress line rewritten in place on a terminal (stderr unless given); nothing when
    output is redirected."""
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        return None

    def show(summary: Summary) -> None:
        stream.write(f"\r{summary.read:,} rows read: {summary.created:,} created, "
                     f"{summary.updated:,} updated, {summary.rejected:,} rejected")
        stream.flush()

    return show


@dataclass
class Exported:
    kind: str
    written: int
    out: str

    def json(self) -> str:
        return orjson.dumps(asdict(self)).decode()


def export_file(transfer: TransferService, kind: Kind, out: str | Path, fmt: Format) -> Exported:
    """Every record of ``kind`` into ``out``, in the shape ``import_file`` reads."""
    handles = transfer.identity_handles() if kind.name == "profiles" else []
    written = 0
    with open_text(out, "w") as stream:
        writer = RowWriter(stream, fmt, kind.export_columns(handles))
        for record in records(transfer, kind):
            writer.write(kind.export_row(record, handles))
            written += 1
    return Exported(kind.name, written, str(out))
