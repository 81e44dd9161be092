"""Writing the answers of a returns import in bulk (``services.import_returns``).

The importer hands over the checked values of a file as columns
(:class:`~assessments.workbooks.returns.ReturnValues`: unit, indicator, number, text,
explanation). An :class:`AnswerWriter` compares them with the stored answers of the period
and writes the difference:

- ``counts()``: per unit, how many answers would be created, changed and left unchanged
  (``dry_run`` stops here);
- ``write()``: new answers inserted, changed ones updated (value, text, explanation,
  ``updated_at``; the review fields are kept), and one :class:`AnswerChange` per changed
  value or explanation (old → new, as the survey form records them, source "tệp Excel").

Rules (the same as the form's and the former ORM path's): an empty cell with no stored
answer creates nothing; an empty cell over a stored answer clears its value; a file
without an explanation column keeps the stored explanations.

On PostgreSQL (:class:`PostgresAnswerWriter`) the values are streamed with binary ``COPY``
into a temporary table, compared with one join, and written with one ``UPDATE … FROM`` and
one ``INSERT … SELECT``; the history rows go in with ``COPY`` too. The caller holds the
period (``select_for_update``) and the period's submissions of the file's units, so no
other writer can add or change those answers meanwhile: the unique constraint
``(submission, indicator)`` stays the last guard. Elsewhere (SQLite) the stored answers are
read into a dictionary and written with ``executemany`` (:class:`PythonAnswerWriter`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import numpy as np
from django.db import connection as default_connection
from django.utils import timezone

from .models import Answer, AnswerChange
from .workbooks.returns import IndicatorInfo, ReturnValues

OUTCOMES = ("created", "changed", "unchanged")
STAGE = "returns_import_stage"
DIFF = "returns_import_diff"
#: Rows of binary COPY data produced at a time (bounded memory: about 5 MB a chunk).
CHUNK_ROWS = 100_000


def answer_writer(*, period_id: int, values: ReturnValues,
                  indicators: dict[int, IndicatorInfo], connection=None) -> AnswerWriter:
    """The writer for the database in use (PostgreSQL: COPY and SQL; else Python)."""
    connection = connection or default_connection
    kind = PostgresAnswerWriter if connection.vendor == "postgresql" else PythonAnswerWriter
    return kind(period_id=period_id, values=values, indicators=indicators,
                connection=connection)


class AnswerWriter:
    def __init__(self, *, period_id: int, values: ReturnValues,
                 indicators: dict[int, IndicatorInfo], connection):
        self.period_id = period_id
        self.values = values
        self.indicators = indicators
        self.connection = connection
        self._counts: dict[int, dict[str, int]] | None = None

    def counts(self) -> dict[int, dict[str, int]]:
        """Unit id -> {"created", "changed", "unchanged"} (units with at least one value)."""
        raise NotImplementedError

    @property
    def changed_unit_ids(self) -> set[int]:
        """Units with at least one answer created or changed."""
        return {unit_id for unit_id, c in self.counts().items() if c["created"] or c["changed"]}

    def write(self, *, submission_ids: dict[int, int], now=None, actor_id: int | None = None,
              source: str = AnswerChange.Source.WORKBOOK) -> None:
        """Store the values; ``submission_ids`` maps every unit of the file to its submission
        (created beforehand for new returns)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


# --- the history: old -> new as the form writes it -------------------------------------------

def history_rows(changed: Iterable[tuple], indicators: dict[int, IndicatorInfo]
                 ) -> Iterator[tuple[int, str, str, str]]:
    """``(answer_id, field, old, new)`` of each changed value or explanation.

    ``changed`` holds ``(answer_id, indicator_id, old_number, old_text, old_explanation,
    new_number, new_text, new_explanation)``. A value is recorded when its text as users
    read it changes (``answer_text``), as the survey form does.
    """
    from .services import answer_text

    for (answer_id, indicator_id, old_number, old_text, old_explanation, number, text,
         explanation) in changed:
        value_type = indicators[indicator_id].value_type
        old = answer_text(old_number, old_text, value_type)
        new = answer_text(number, text, value_type)
        if old != new:
            yield answer_id, str(AnswerChange.Field.VALUE), old[:2000], new[:2000]
        if explanation != old_explanation:
            yield answer_id, str(AnswerChange.Field.EXPLANATION), old_explanation[:2000], (
                explanation[:2000])


def _insert_defaults(connection) -> tuple[list[str], list]:
    """Columns of a new answer that the import does not set, with their model defaults."""
    own = {"id", "submission", "indicator", "value_number", "value_text", "explanation",
           "updated_at"}
    columns, params = [], []
    for field in Answer._meta.concrete_fields:
        if field.name in own:
            continue
        columns.append(connection.ops.quote_name(field.column))
        params.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, params


# --- PostgreSQL -----------------------------------------------------------------------------

_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_PG_TRAILER = b"\xff\xff"


def _put(buffer: np.ndarray, positions: np.ndarray, values: np.ndarray, dtype: str) -> None:
    """Write ``values`` (big-endian ``dtype``) into ``buffer`` at byte ``positions``."""
    if not len(positions):
        return
    data = values.astype(dtype).view(np.uint8).reshape(len(positions), -1)
    width = data.shape[1]
    buffer[positions[:, None] + np.arange(width)] = data


def _put_bytes(buffer: np.ndarray, positions: np.ndarray, pieces: list[bytes],
               lengths: np.ndarray) -> None:
    """Write ``pieces`` (of ``lengths``) at ``positions``."""
    total = int(lengths.sum())
    if not total:
        return
    blob = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    starts = np.repeat(positions, lengths)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    buffer[starts + within] = blob


def _encoded(texts: list, start: int, stop: int) -> tuple[np.ndarray, list[bytes]]:
    """Byte lengths (``-1`` for None) and UTF-8 encodings of the non-empty ones among
    ``texts[start:stop]``; each distinct text is encoded once."""
    chunk = np.array(texts[start:stop], dtype=object)
    lengths = np.where(np.equal(chunk, None), -1, 0).astype(np.int64)
    filled = np.flatnonzero(np.not_equal(chunk, None) & np.not_equal(chunk, ""))
    cache: dict[str, bytes] = {}
    pieces = []
    for i in filled.tolist():
        text = chunk[i]
        encoded = cache.get(text)
        if encoded is None:
            encoded = cache[text] = text.encode()
        lengths[i] = len(encoded)
        pieces.append(encoded)
    return lengths, pieces


#: A row with a number, an empty text and no explanation (most rows), as one record.
_PLAIN_ROW = np.dtype([("fields", ">i2"), ("unit_size", ">i4"), ("unit", ">i8"),
                       ("indicator_size", ">i4"), ("indicator", ">i8"), ("number_size", ">i4"),
                       ("number", ">f8"), ("text_size", ">i4"), ("note_size", ">i4")])


def binary_copy_chunks(values: ReturnValues, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The values as PostgreSQL binary ``COPY`` data (columns ``unit_id bigint, indicator_id
    bigint, value_number float8, value_text text, explanation text``), chunk by chunk.

    Row order does not matter to the staging table: in each chunk the plain rows (a number,
    no text, no explanation) come first as fixed-size records, then the others."""
    yield _PG_HEADER
    units = np.frombuffer(values.unit_ids, dtype=np.int64) if len(values) else np.empty(0, "i8")
    indicators = (np.frombuffer(values.indicator_ids, dtype=np.int64) if len(values)
                  else np.empty(0, "i8"))
    numbers = np.frombuffer(values.numbers, dtype=np.float64) if len(values) else np.empty(0)
    explanations = values.explanations
    for start in range(0, len(values), chunk_rows):
        stop = min(start + chunk_rows, len(values))
        count = stop - start
        has_number = ~np.isnan(numbers[start:stop])
        text_lengths, text_pieces = _encoded(values.texts, start, stop)
        if explanations is not None:
            note_lengths, note_pieces = _encoded(explanations, start, stop)
        else:
            note_lengths, note_pieces = np.full(count, -1, dtype=np.int64), []
        plain = has_number & (text_lengths == 0) & (note_lengths == -1)
        records = np.empty(int(plain.sum()), dtype=_PLAIN_ROW)
        records["fields"] = 5
        records["unit_size"] = records["indicator_size"] = records["number_size"] = 8
        records["unit"] = units[start:stop][plain]
        records["indicator"] = indicators[start:stop][plain]
        records["number"] = numbers[start:stop][plain]
        records["text_size"] = 0
        records["note_size"] = -1
        yield records.tobytes()
        # the other rows, field by field at their offsets (the text pieces belong to them,
        # in order: a plain row has none)
        rest = ~plain
        count = int(rest.sum())
        if not count:
            continue
        has_number, text_lengths, note_lengths = (
            has_number[rest], text_lengths[rest], note_lengths[rest])
        # field count (2) + 5 × length (4) + 8 + 8 + (8 if a number) + text + explanation
        sizes = (2 + 20 + 16 + 8 * has_number + text_lengths + np.maximum(note_lengths, 0))
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        buffer = np.zeros(int(sizes.sum()), dtype=np.uint8)
        _put(buffer, offsets, np.full(count, 5), ">i2")
        _put(buffer, offsets + 2, np.full(count, 8), ">i4")
        _put(buffer, offsets + 6, units[start:stop][rest], ">i8")
        _put(buffer, offsets + 14, np.full(count, 8), ">i4")
        _put(buffer, offsets + 18, indicators[start:stop][rest], ">i8")
        _put(buffer, offsets + 26, np.where(has_number, 8, -1), ">i4")
        _put(buffer, offsets[has_number] + 30, numbers[start:stop][rest][has_number], ">f8")
        at = offsets + 30 + 8 * has_number
        _put(buffer, at, text_lengths, ">i4")
        _put_bytes(buffer, at[text_lengths > 0] + 4, text_pieces, text_lengths[text_lengths > 0])
        at = at + 4 + text_lengths
        _put(buffer, at, note_lengths, ">i4")
        _put_bytes(buffer, at[note_lengths > 0] + 4, note_pieces, note_lengths[note_lengths > 0])
        yield buffer.tobytes()
    yield _PG_TRAILER


class _ChunkReader(io.RawIOBase):
    """A file-like object over an iterator of bytes, for ``copy_expert``."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks = chunks
        self.pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.pending) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.pending += chunk
        if size < 0:
            size = len(self.pending)
        data, self.pending = self.pending[:size], self.pending[size:]
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


_EMPTY = "(s.value_number IS NULL AND s.value_text = '' AND COALESCE(s.explanation, '') = '')"
_DIFFERS = ("(a.value_number IS DISTINCT FROM s.value_number OR a.value_text <> s.value_text "
            "OR a.explanation <> COALESCE(s.explanation, a.explanation))")


def staged_counts(values: ReturnValues) -> tuple[dict[int, int], dict[int, int]]:
    """Per unit: how many values the file gives, and how many of them are empty (no number,
    no text, no explanation)."""
    if not len(values):
        return {}, {}
    units = np.frombuffer(values.unit_ids, dtype=np.int64)
    candidates = np.flatnonzero(np.isnan(np.frombuffer(values.numbers, dtype=np.float64)))
    texts, notes = values.texts, values.explanations
    empty = [i for i in candidates.tolist()
             if not texts[i] and (notes is None or not notes[i])]
    ids, counts = np.unique(units, return_counts=True)
    empty_ids, empty_counts = np.unique(units[empty], return_counts=True)
    return (dict(zip(ids.tolist(), counts.tolist(), strict=True)),
            dict(zip(empty_ids.tolist(), empty_counts.tolist(), strict=True)))


class PostgresAnswerWriter(AnswerWriter):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{DIFF}, pg_temp.{STAGE}")
            # the comparison hashes a million rows: in memory rather than in 16 batches
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute(
                f"CREATE TEMP TABLE {STAGE} (unit_id bigint NOT NULL, indicator_id bigint NOT "
                "NULL, value_number double precision, value_text text NOT NULL, explanation "
                "text) ON COMMIT DROP")
            raw = cursor.connection.cursor()  # psycopg2's own cursor: copy_expert
            raw.copy_expert(f"COPY {STAGE} FROM STDIN WITH (FORMAT binary)",
                            _ChunkReader(binary_copy_chunks(self.values)), size=1 << 20)
            # no ANALYZE: the planner sizes the new table from its pages (a hash join anyway)
            # One comparison with the period's stored answers (read through the submissions,
            # so that other periods' answers are never scanned). Kept: new answers (op "c"),
            # changed ones ("u"), and empty cells over a stored answer ("k" when it is
            # empty too), with the stored values for the history.
            cursor.execute(
                f"CREATE TEMP TABLE {DIFF} ON COMMIT DROP AS "
                "SELECT s.unit_id, s.indicator_id, s.value_number, s.value_text, "
                "COALESCE(s.explanation, a.explanation, '') AS explanation, "
                "a.id AS answer_id, a.value_number AS old_number, a.value_text AS old_text, "
                "a.explanation AS old_explanation, "
                f"CASE WHEN a.id IS NULL THEN 'c' WHEN {_DIFFERS} THEN 'u' ELSE 'k' END AS op, "
                f"{_EMPTY} AS empty "
                f"FROM {STAGE} s LEFT JOIN ("
                "SELECT sub.unit_id, a.id, a.indicator_id, a.value_number, a.value_text, "
                "a.explanation FROM assessments_submission sub "
                "JOIN assessments_answer a ON a.submission_id = sub.id "
                "WHERE sub.period_id = %s) a "
                "ON a.unit_id = s.unit_id AND a.indicator_id = s.indicator_id "
                f"WHERE (a.id IS NULL AND NOT {_EMPTY}) "
                f"OR (a.id IS NOT NULL AND ({_DIFFERS} OR {_EMPTY}))",
                [self.period_id])

    def counts(self) -> dict[int, dict[str, int]]:
        if self._counts is None:
            staged, empty = staged_counts(self.values)
            counts = {unit_id: {"created": 0, "changed": 0, "unchanged": 0}
                      for unit_id in staged}
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT unit_id, count(*) FILTER (WHERE op = 'c'), "
                    "count(*) FILTER (WHERE op = 'u'), "
                    f"count(*) FILTER (WHERE empty AND op <> 'c') FROM {DIFF} GROUP BY 1")
                found = {row[0]: row[1:] for row in cursor.fetchall()}
            for unit_id, entry in counts.items():
                created, changed, empty_stored = found.get(unit_id, (0, 0, 0))
                skipped = empty.get(unit_id, 0) - empty_stored  # empty, nothing stored
                entry.update(created=created, changed=changed,
                             unchanged=staged[unit_id] - created - changed - skipped)
            self._counts = counts
        return self._counts

    def write(self, *, submission_ids: dict[int, int], now=None, actor_id: int | None = None,
              source: str = AnswerChange.Source.WORKBOOK) -> None:
        now = now or timezone.now()
        source = str(source)
        with self.connection.cursor() as cursor:
            updates = any(c["changed"] for c in self.counts().values())
            history = []
            if updates:
                cursor.execute(
                    f"SELECT answer_id, indicator_id, old_number, old_text, old_explanation, "
                    f"value_number, value_text, explanation FROM {DIFF} "
                    "WHERE op = 'u' ORDER BY answer_id")
                history = list(history_rows(cursor.fetchall(), self.indicators))
            if history:
                at = _copy_text(now.isoformat())
                actor = _copy_text(actor_id)
                data = "".join(
                    f"{answer_id}\t{name}\t{_copy_text(old)}\t{_copy_text(new)}\t"
                    f"{source}\t{actor}\t{at}\n" for answer_id, name, old, new in history)
                cursor.connection.cursor().copy_expert(
                    "COPY assessments_answerchange (answer_id, field, old, new, source, "
                    "actor_id, at) FROM STDIN", io.StringIO(data))
            if updates:
                cursor.execute(
                    "UPDATE assessments_answer a SET value_number = d.value_number, "
                    "value_text = d.value_text, explanation = d.explanation, updated_at = %s "
                    f"FROM {DIFF} d WHERE d.op = 'u' AND a.id = d.answer_id", [now])
            if not any(c["created"] for c in self.counts().values()):
                return
            columns, params = _insert_defaults(self.connection)
            cursor.execute(
                "INSERT INTO assessments_answer (submission_id, indicator_id, value_number, "
                f"value_text, explanation, updated_at, {', '.join(columns)}) "
                f"SELECT sub.id, d.indicator_id, d.value_number, d.value_text, d.explanation, "
                f"%s, {', '.join(['%s'] * len(params))} FROM {DIFF} d "
                "JOIN assessments_submission sub "
                "ON sub.period_id = %s AND sub.unit_id = d.unit_id "
                "WHERE d.op = 'c' ORDER BY sub.id, d.indicator_id",
                [now, *params, self.period_id])

    def close(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{DIFF}, pg_temp.{STAGE}")


# --- any other database (SQLite) --------------------------------------------------------------

class PythonAnswerWriter(AnswerWriter):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        stored = (Answer.objects.filter(submission__period_id=self.period_id)
                  .values_list("submission__unit_id", "indicator_id", "id", "value_number",
                               "value_text", "explanation"))
        existing = {(row[0], row[1]): row[2:] for row in stored.iterator(chunk_size=10_000)}
        counts: dict[int, dict[str, int]] = {}
        self.created, self.changed = [], []
        for unit_id, indicator_id, number, text, explanation in self.values.rows():
            entry = counts.get(unit_id)
            if entry is None:
                entry = counts[unit_id] = {"created": 0, "changed": 0, "unchanged": 0}
            found = existing.get((unit_id, indicator_id))
            if found is None:
                if number is None and not text and not explanation:
                    continue
                entry["created"] += 1
                self.created.append((unit_id, indicator_id, number, text, explanation or ""))
                continue
            answer_id, old_number, old_text, old_explanation = found
            new_explanation = old_explanation if explanation is None else explanation
            if (old_number, old_text, old_explanation) == (number, text, new_explanation):
                entry["unchanged"] += 1
            else:
                entry["changed"] += 1
                self.changed.append((answer_id, indicator_id, old_number, old_text,
                                     old_explanation, number, text, new_explanation))
        self._counts = counts

    def counts(self) -> dict[int, dict[str, int]]:
        return self._counts

    def write(self, *, submission_ids: dict[int, int], now=None, actor_id: int | None = None,
              source: str = AnswerChange.Source.WORKBOOK) -> None:
        now = now or timezone.now()
        ops = self.connection.ops
        at = Answer._meta.get_field("updated_at").get_db_prep_save(now, self.connection)
        self.changed.sort()
        history = list(history_rows(self.changed, self.indicators))
        with self.connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE assessments_answer SET value_number = %s, value_text = %s, "
                "explanation = %s, updated_at = %s WHERE id = %s",
                [(number, text, explanation, at, answer_id)
                 for answer_id, _i, _n, _t, _e, number, text, explanation in self.changed])
            columns, params = _insert_defaults(self.connection)
            rows = sorted((submission_ids[unit_id], indicator_id, number, text, explanation)
                          for unit_id, indicator_id, number, text, explanation in self.created)
            cursor.executemany(
                "INSERT INTO assessments_answer (submission_id, indicator_id, value_number, "
                f"value_text, explanation, updated_at, {', '.join(columns)}) VALUES "
                f"({', '.join(['%s'] * (6 + len(params)))})",
                [(*row, at, *params) for row in rows])
            change_at = AnswerChange._meta.get_field("at").get_db_prep_save(now, self.connection)
            cursor.executemany(
                f"INSERT INTO {ops.quote_name(AnswerChange._meta.db_table)} (answer_id, field, "
                "old, new, source, actor_id, at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [(answer_id, str(name), old, new, str(source), actor_id, change_at)
                 for answer_id, name, old, new in history])
