"""Safe reading of ``.xlsx`` and ``.csv`` files into sheets of rows with their Excel numbers.

Before an ``.xlsx`` is parsed, its zip archive is checked: the file size, the total
uncompressed size, each member's compression ratio (zip bombs), macros, and that every
member really inflates to the size its directory entry claims. Values are then read with
python-calamine (fast; it returns a formula's cached value). Two things calamine does not
tell, a formula with no cached value and an Excel error value (``#DIV/0!``), both read as
an empty string; nor does it give number formats. Those few cells (formulas, error cells,
cells styled with a percent format) are found in the sheet's XML by a byte-level search
(about 0.4 s for a 46 MB sheet), or, when a cell lacks its ``r`` reference, by walking the
XML with defusedxml's ``iterparse``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import python_calamine
from defusedxml.ElementTree import fromstring as xml_fromstring
from defusedxml.ElementTree import iterparse as xml_iterparse
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import CellError, WorkbookError, cell_name
from .values import ValueProblem, is_empty

GIB = 1024 ** 3
MIB = 1024 ** 2
#: A member bigger than this must not be compressed more than ``MAX_RATIO`` to one.
RATIO_MEMBER_MIN_BYTES = 1 * MIB
MAX_RATIO = 100
MAX_MEMBERS = 10_000
HEADER_SEARCH_ROWS = 20

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_file_bytes() -> int:
    return limit("IMPORT_MAX_FILE_BYTES", 200 * MIB)


def max_uncompressed_bytes() -> int:
    return limit("IMPORT_MAX_UNCOMPRESSED_BYTES", GIB)


def max_cells() -> int:
    return limit("IMPORT_MAX_CELLS", 5_000_000)


def _mib(size: int) -> str:
    return f"{size / MIB:.1f}"


# --- sheets and workbooks -----------------------------------------------------------------

@dataclass
class Sheet:
    """One sheet: ``rows[i]`` is Excel row ``i + 1``, each a list of values from column A.

    ``percent_cells`` holds ``(row_number, column_index)`` of number cells with a percent
    format; ``bad_cells`` maps the cells whose value cannot be used (a formula without a
    computed value, an Excel error) to the reason.
    """

    name: str
    rows: list[list]
    percent_cells: frozenset[tuple[int, int]] = frozenset()
    bad_cells: dict[tuple[int, int], str] = field(default_factory=dict)

    def raw(self, row_number: int, column: int):
        """The value of a cell (``None`` beyond the data); raises ValueProblem for a bad cell."""
        problem = self.bad_cells.get((row_number, column))
        if problem:
            raise ValueProblem(problem)
        try:
            return self.rows[row_number - 1][column]
        except IndexError:
            return None

    def is_percent(self, row_number: int, column: int) -> bool:
        return (row_number, column) in self.percent_cells


class Workbook:
    """An opened, checked file. Sheets are read on first use."""

    def __init__(self, *, file_name: str, sha256: str, size: int, kind: str,
                 sheet_names: list[str], loader):
        self.file_name = file_name
        self.sha256 = sha256
        self.size = size
        self.kind = kind  # "xlsx" or "csv"
        self.sheet_names = sheet_names
        self._loader = loader
        self._cache: dict[str, Sheet] = {}

    @property
    def is_csv(self) -> bool:
        return self.kind == "csv"

    def find(self, name: str) -> str | None:
        """The real name of sheet ``name`` (case and surrounding spaces ignored)."""
        wanted = name.strip().casefold()
        for real in self.sheet_names:
            if real.strip().casefold() == wanted:
                return real
        return None

    def sheet(self, name: str, *, required: bool = True, problems=None) -> Sheet | None:
        """Sheet ``name``; a CSV file's only sheet stands for any name.

        A missing required sheet is recorded in ``problems`` (``None`` is returned), or
        raised as a :class:`WorkbookError` when no collector is given.
        """
        real = self.sheet_names[0] if self.is_csv else self.find(name)
        if real is None:
            if required:
                error = CellError(name, "", "", _(
                    "tệp không có sheet '%(sheet)s' (các sheet có trong tệp: %(names)s).")
                    % {"sheet": name, "names": ", ".join(self.sheet_names)})
                if problems is None:
                    raise WorkbookError([error], file_name=self.file_name)
                problems.errors.append(error)
            return None
        return self._load(real)

    def first_sheet(self) -> Sheet:
        return self._load(self.sheet_names[0])

    def _load(self, real: str) -> Sheet:
        if real not in self._cache:
            self._cache[real] = self._loader(real)
        return self._cache[real]


def _refuse(file_name: str, message: str) -> WorkbookError:
    return WorkbookError([CellError("", "", "", message)], file_name=file_name)


def read_source(source, file_name: str | None = None) -> tuple[bytes, str]:
    """The bytes of ``source`` (a path, bytes or a file object) and its file name.

    Refuses a file over ``IMPORT_MAX_FILE_BYTES`` without reading more than that.
    """
    maximum = max_file_bytes()
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        file_name = file_name or path.name
        try:
            size = path.stat().st_size
            if size > maximum:
                raise _too_big(file_name, size, maximum)
            return path.read_bytes(), file_name
        except OSError as exc:
            raise _refuse(file_name, _("không đọc được tệp: %(error)s")
                          % {"error": exc.strerror or exc}) from exc
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        file_name = file_name or "upload"
    else:
        file_name = file_name or os.path.basename(str(getattr(source, "name", "") or "upload"))
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(maximum + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    if len(data) > maximum:
        raise _too_big(file_name, len(data), maximum)
    return data, file_name


def _too_big(file_name: str, size: int, maximum: int) -> WorkbookError:
    return _refuse(file_name, _("tệp quá lớn (%(size)s MiB); giới hạn là %(max)s MiB.")
                   % {"size": _mib(size), "max": _mib(maximum)})


def open_workbook(source, *, file_name: str | None = None) -> Workbook:
    """Check and open an ``.xlsx`` or ``.csv`` file. Raises :class:`WorkbookError`."""
    data, file_name = read_source(source, file_name)
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = PurePosixPath(file_name.lower()).suffix
    if suffix in (".xlsm", ".xltm", ".xlam"):
        raise _refuse(file_name, _("tệp có macro (%(suffix)s) không được chấp nhận; hãy lưu "
                                   "thành .xlsx.") % {"suffix": suffix})
    if data.startswith(ZIP_MAGIC):
        return _open_xlsx(data, file_name, sha256)
    if data.startswith(OLE_MAGIC):
        raise _refuse(file_name, _("tệp Excel 97-2003 (.xls) hoặc tệp có mật khẩu không được "
                                   "hỗ trợ; hãy lưu thành .xlsx (Excel 2007 trở lên)."))
    if suffix == ".csv":
        return _open_csv(data, file_name, sha256)
    raise _refuse(file_name, _("tệp không phải là bảng tính .xlsx hoặc .csv."))


# --- CSV ----------------------------------------------------------------------------------

def _open_csv(data: bytes, file_name: str, sha256: str) -> Workbook:
    try:
        text = codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(file_name, _("tệp CSV không phải mã UTF-8 (byte %(pos)d); hãy lưu bằng "
                                   "\"CSV UTF-8\".") % {"pos": exc.start}) from exc
    if "\x00" in text:
        raise _refuse(file_name, _("tệp không phải là bảng tính .xlsx hoặc .csv."))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in first_line and (";" in first_line or "\t" in first_line):
        separator = _("dấu chấm phẩy (;)") if ";" in first_line else _("dấu tab")
        raise WorkbookError([CellError(file_name, "A1", "", _(
            "dòng đầu của tệp CSV được phân cách bằng %(separator)s, không phải dấu phẩy; hãy "
            "lưu bằng \"CSV UTF-8 (phân cách bằng dấu phẩy)\".") % {"separator": separator})],
            file_name=file_name)

    def load(name: str) -> Sheet:
        rows = []
        cells = 0
        try:
            for row in csv.reader(io.StringIO(text, newline="")):
                cells += len(row)
                if cells > max_cells():
                    raise _too_many_cells(file_name, name)
                rows.append(row)
        except csv.Error as exc:
            raise _refuse(file_name, _("tệp CSV hỏng: %(error)s") % {"error": exc}) from exc
        return Sheet(name=name, rows=rows)

    return Workbook(file_name=file_name, sha256=sha256, size=len(data), kind="csv",
                    sheet_names=[file_name], loader=load)


def _too_many_cells(file_name: str, sheet: str) -> WorkbookError:
    return WorkbookError([CellError(sheet, "", "", _(
        "sheet có quá nhiều ô (giới hạn %(max)s ô).") % {"max": f"{max_cells():,}"})],
        file_name=file_name)


# --- XLSX ---------------------------------------------------------------------------------

def _check_archive(archive: zipfile.ZipFile, file_name: str) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _refuse(file_name, _("tệp nén có quá nhiều thành phần; không phải bảng tính "
                                   "hợp lệ."))
    names = {m.filename.lower() for m in members}
    if any(name.endswith("vbaproject.bin") for name in names):
        raise _refuse(file_name, _("tệp có macro (VBA) không được chấp nhận; hãy lưu thành "
                                   ".xlsx không có macro."))
    if "xl/workbook.xml" not in names and not any(n.endswith("/workbook.xml") for n in names):
        raise _refuse(file_name, _("tệp là tệp nén nhưng không phải bảng tính .xlsx."))
    total = sum(m.file_size for m in members)
    if total > max_uncompressed_bytes():
        raise _refuse(file_name, _("tệp giải nén ra %(size)s MiB, vượt giới hạn %(max)s MiB.")
                      % {"size": _mib(total), "max": _mib(max_uncompressed_bytes())})
    for member in members:
        if member.file_size > RATIO_MEMBER_MIN_BYTES and (
                member.file_size > MAX_RATIO * max(member.compress_size, 1)):
            raise _refuse(file_name, _(
                "tệp có thành phần %(member)s nén với tỷ lệ bất thường (%(ratio)d:1): có thể là "
                "tệp \"bom nén\", không được chấp nhận.")
                % {"member": member.filename,
                   "ratio": member.file_size // max(member.compress_size, 1)})
    # The directory's sizes could lie: inflate every member (without keeping it) so that a
    # member larger than announced fails its size/CRC check here, not inside a parser.
    # Meanwhile look for document type declarations in the XML parts (.xml, .rels; not
    # media such as SVG images): Excel never writes one, and they carry entity expansion
    # ("billion laughs") and external entities.
    for member in members:
        tail = b""
        xml_part = member.filename.lower().endswith((".xml", ".rels"))
        with archive.open(member) as stream:
            while chunk := stream.read(4 * MIB):
                window = tail + chunk
                if xml_part and (b"<!DOCTYPE" in window or b"<!ENTITY" in window):
                    raise _refuse(file_name, _(
                        "tệp có khai báo DTD hoặc thực thể XML (<!DOCTYPE>, <!ENTITY>) trong "
                        "thành phần %(member)s: không được chấp nhận (có thể là tấn công mở "
                        "rộng thực thể).") % {"member": member.filename})
                tail = chunk[-16:]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the path of its XML part inside the archive."""
    workbook_xml = archive.read("xl/workbook.xml")
    try:
        rels_xml = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for rel in xml_fromstring(rels_xml):
        target = rel.get("Target", "")
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = str(PurePosixPath("xl") / target)
        targets[rel.get("Id")] = os.path.normpath(path).replace(os.sep, "/")
    parts = {}
    for element in xml_fromstring(workbook_xml).iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        if rel_id in targets:
            parts[element.get("name", "")] = targets[rel_id]
    return parts


_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _percent_styles(archive: zipfile.ZipFile) -> set[str]:
    """The indexes (as text, as the ``s`` attribute writes them) of percent cell styles."""
    try:
        root = xml_fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    percent_formats = {"9", "10"}
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            code = _QUOTED.sub("", element.get("formatCode", ""))
            if "%" in code:
                percent_formats.add(element.get("numFmtId", ""))
    styles = set()
    for element in root.iter():
        if _local(element.tag) == "cellXfs":
            for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                if xf.get("numFmtId", "0") in percent_formats:
                    styles.add(str(index))
            break
    return styles


_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_REF_ATTR = re.compile(rb"""\sr=["']([A-Z]+)(\d+)["']""")
_TYPE_ATTR = re.compile(rb"""\st=["'](\w+)["']""")
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData[\s>/]")


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _formula_message() -> str:
    return _("ô có công thức nhưng chưa có giá trị đã tính; hãy mở tệp bằng Excel, tính lại "
             "(F9) và lưu.")


def _error_message(value: str) -> str:
    return _("ô chứa lỗi Excel %(error)s.") % {"error": value or "#N/A"}


class _NeedFullParse(Exception):
    """The quick scan met a cell it cannot place (no ``r`` attribute)."""


def _scan_sheet_xml(data: bytes, percent_styles: set[str]
                    ) -> tuple[frozenset[tuple[int, int]], dict[tuple[int, int], str]]:
    """Percent-formatted number cells and unusable cells (formula without value, Excel error).

    Regular expressions find the few cells of interest in the raw XML (Excel always writes
    each cell's ``r`` reference); a sheet where such a cell has no reference is walked with
    ``iterparse`` instead, which is exact but about ten times slower.
    """
    match = _SHEET_DATA.search(data)
    if not match:
        return frozenset(), {}
    try:
        return _quick_scan(data, match.group(1) or b"", percent_styles)
    except _NeedFullParse:
        return _full_scan(data, percent_styles)


def _where(tag: bytes) -> tuple[int, int]:
    ref = _REF_ATTR.search(tag)
    if ref is None:
        raise _NeedFullParse
    return int(ref.group(2)), _column_index(ref.group(1).decode())


def _cell_type(tag: bytes) -> bytes:
    found = _TYPE_ATTR.search(tag)
    return found.group(1) if found else b"n"


def _quick_scan(data: bytes, prefix: bytes, percent_styles: set[str]):
    p = re.escape(prefix)
    cell_open, cell_close = b"<" + prefix + b"c", b"</" + prefix + b"c>"
    value_re = re.compile(rb"<" + p + rb"v>([^<]*)</" + p + rb"v>")

    def cell_tags(attribute: bytes):
        """(start, end, tag) of each cell start tag holding ``attribute`` (a regex that
        starts with a literal, so that ``re`` searches fast)."""
        for found in re.finditer(attribute, data):
            if data[found.start() - 1] not in b" \t\r\n":
                continue  # part of another attribute's name
            start = data.rfind(b"<", 0, found.start())
            end = data.find(b">", found.end()) + 1
            # skip <row s="…">, <col …>: only <c …> tags are cells
            if data.startswith(cell_open, start) and data[start + len(cell_open)] in b" \t\r\n":
                yield start, end, data[start:end]

    percent: set[tuple[int, int]] = set()
    bad: dict[tuple[int, int], str] = {}
    if percent_styles:
        styles = b"|".join(re.escape(s.encode()) for s in sorted(percent_styles))
        for _start, _end, tag in cell_tags(rb"s=[\"'](?:" + styles + rb")[\"']"):
            if _cell_type(tag) == b"n":
                percent.add(_where(tag))
    for _start, end, tag in cell_tags(rb"t=[\"']e[\"']"):
        close = data.find(cell_close, end)
        value = value_re.search(data, end, close if close >= 0 else len(data))
        bad[_where(tag)] = _error_message(
            value.group(1).decode("utf-8", "replace") if value else "")
    for found in re.finditer(rb"<" + p + rb"f[\s>/]", data):
        start = data.rfind(cell_open, 0, found.start())
        tag_end = data.find(b">", start) + 1
        end = data.find(cell_close, found.end())
        if start < 0 or end < 0 or data[start + len(cell_open)] not in b" \t\r\n":
            raise _NeedFullParse
        tag = data[start:tag_end]
        kind = _cell_type(tag)
        if kind in (b"e", b"str"):
            continue  # an error is reported above; a text result may be empty
        value = value_re.search(data, tag_end, end)
        if value is None or not value.group(1).strip():
            bad[_where(tag)] = _formula_message()
    return frozenset(percent), bad


def _full_scan(data: bytes, percent_styles: set[str]):
    percent: set[tuple[int, int]] = set()
    bad: dict[tuple[int, int], str] = {}
    row_number, column = 0, -1
    for event, element in xml_iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                row_number = int(element.get("r") or row_number + 1)
                column = -1
            continue
        if tag == "c":
            ref = _CELL_REF.match(element.get("r") or "")
            if ref:
                column, row_number = _column_index(ref.group(1)), int(ref.group(2))
            else:
                column += 1
            formula = value = None
            for child in element:
                name = _local(child.tag)
                if name == "f":
                    formula = child
                elif name in ("v", "is"):
                    value = child
            kind = element.get("t", "n")
            where = (row_number, column)
            if kind == "e":
                bad[where] = _error_message(value.text if value is not None else "")
            elif formula is not None and kind != "str" and (
                    value is None or not (value.text or "").strip()):
                bad[where] = _formula_message()
            elif kind == "n" and element.get("s") in percent_styles and value is not None:
                percent.add(where)
        elif tag == "row":
            element.clear()
    return frozenset(percent), bad


def _open_xlsx(data: bytes, file_name: str, sha256: str) -> Workbook:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_archive(archive, file_name)
        parts = _sheet_parts(archive)
        percent_styles = _percent_styles(archive)
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, OSError,
            python_calamine.CalamineError, SyntaxError, ValueError) as exc:
        raise _refuse(file_name, _("tệp bảng tính bị hỏng hoặc không đọc được (%(error)s).")
                      % {"error": exc}) from exc
    names = [m.name for m in book.sheets_metadata
             if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    if not names:
        raise _refuse(file_name, _("bảng tính không có sheet nào."))

    def load(name: str) -> Sheet:
        try:
            sheet = book.get_sheet_by_name(name)
            end = sheet.end
            if end is not None and (end[0] + 1) * (end[1] + 1) > max_cells():
                raise _too_many_cells(file_name, name)
            rows = sheet.to_python(skip_empty_area=False) if end is not None else []
            percent, bad = frozenset(), {}
            part = parts.get(name)
            if part:
                percent, bad = _scan_sheet_xml(archive.read(part), percent_styles)
        except WorkbookError:
            raise
        except (python_calamine.CalamineError, zipfile.BadZipFile, KeyError, SyntaxError,
                ValueError) as exc:
            raise WorkbookError([CellError(name, "", "", _(
                "sheet bị hỏng hoặc không đọc được (%(error)s).") % {"error": exc})],
                file_name=file_name) from exc
        return Sheet(name=name, rows=rows, percent_cells=percent, bad_cells=bad)

    return Workbook(file_name=file_name, sha256=sha256, size=len(data), kind="xlsx",
                    sheet_names=names, loader=load)


# --- tables: a header row and the rows below it ---------------------------------------------

def normalize_header(value) -> str:
    return str(value).strip().casefold() if value is not None else ""


class Row:
    """A data row of a :class:`Table`; reads cells by column name."""

    __slots__ = ("table", "number", "values")

    def __init__(self, table: Table, number: int, values: list):
        self.table = table
        self.number = number
        self.values = values

    def raw(self, column: str):
        index = self.table.columns.get(column)
        if index is None:
            return None
        return self.table.sheet.raw(self.number, index)

    def raw_at(self, index: int):
        return self.table.sheet.raw(self.number, index)

    def cell(self, column: str) -> str:
        index = self.table.columns.get(column)
        if index is None:
            index = self.table.key_index
        return cell_name(self.number, index)

    def is_percent(self, column: str) -> bool:
        index = self.table.columns.get(column)
        return index is not None and self.table.sheet.is_percent(self.number, index)

    def value(self, column: str, parser, *, code: str = "", default=None, **kwargs):
        """The parsed value of ``column``; ``default`` when empty; :data:`INVALID` (after
        recording the error) when it cannot be parsed."""
        try:
            raw = self.raw(column)
            if is_empty(raw):
                return default
            return parser(raw, **kwargs)
        except ValueProblem as problem:
            self.table.problems.error(self.table.sheet.name, self.cell(column), code,
                                      problem.message)
            return INVALID

    def error(self, column: str, code: str, message: str) -> None:
        self.table.problems.error(self.table.sheet.name, self.cell(column), code, message)

    def warn(self, column: str, code: str, message: str) -> None:
        self.table.problems.warn(self.table.sheet.name, self.cell(column), code, message)


class _Invalid:
    """The value of a cell whose error has already been recorded."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


class Table:
    """The rows of a sheet below its header row, with columns found by name."""

    def __init__(self, sheet: Sheet, header_number: int, columns: dict[str, int],
                 extra: dict[str, int], problems, key: str):
        self.sheet = sheet
        self.header_number = header_number
        self.columns = columns
        self.extra = extra  # other headers (normalized name -> column index)
        self.problems = problems
        self.key = key
        self.key_index = columns.get(key, 0)

    @property
    def name(self) -> str:
        return self.sheet.name

    def rows(self) -> Iterable[Row]:
        """Non-empty rows below the header; a row whose key cell starts with ``#`` is a
        comment and is skipped."""
        for index in range(self.header_number, len(self.sheet.rows)):
            values = self.sheet.rows[index]
            if all(is_empty(v) for v in values):
                continue
            key_value = values[self.key_index] if self.key_index < len(values) else None
            if isinstance(key_value, str) and key_value.strip().startswith("#"):
                continue
            yield Row(self, index + 1, values)


def read_table(sheet: Sheet, problems, *, required: Iterable[str], optional: Iterable[str] = (),
               extra: str = "warn") -> Table | None:
    """Find the header row of ``sheet`` and its columns.

    The header row is the first of the first 20 rows that holds every required column
    (title rows above it are skipped), else the first non-empty row. A missing required
    column or a column given twice is an error (recorded in ``problems``; ``None`` is
    returned). Other headers are warned about (``extra="warn"``) or kept in ``Table.extra``
    for the caller (``extra="keep"``).
    """
    required = [c.casefold() for c in required]
    optional = [c.casefold() for c in optional]
    header_index = None
    first_non_empty = None
    for index, values in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        names = {normalize_header(v) for v in values}
        if first_non_empty is None and names - {""}:
            first_non_empty = index
        if set(required) <= names:
            header_index = index
            break
    if header_index is None:
        if first_non_empty is None:
            problems.error(sheet.name, "", "", _("sheet trống: không có dòng tiêu đề."))
            return None
        header_index = first_non_empty
    header_number = header_index + 1
    columns: dict[str, int] = {}
    others: dict[str, int] = {}
    ok = True
    for index, value in enumerate(sheet.rows[header_index]):
        name = normalize_header(value)
        if not name:
            continue
        if name in columns or name in others:
            problems.error(sheet.name, cell_name(header_number, index), "",
                           _("cột '%(column)s' xuất hiện hai lần trong dòng tiêu đề.")
                           % {"column": str(value).strip()})
            ok = False
        elif name in required or name in optional:
            columns[name] = index
        else:
            others[name] = index
    missing = [c for c in required if c not in columns]
    if missing:
        problems.error(sheet.name, f"{header_number}:{header_number}", "",
                       _("dòng tiêu đề (dòng %(row)d) thiếu cột bắt buộc: %(columns)s.")
                       % {"row": header_number, "columns": ", ".join(missing)})
        ok = False
    if extra == "warn":
        for name, index in others.items():
            if not name.startswith("#"):
                problems.warn(sheet.name, cell_name(header_number, index), "",
                              _("cột '%(column)s' không được dùng và bị bỏ qua.")
                              % {"column": name})
    if not ok:
        return None
    key = required[0] if required else (optional[0] if optional else "")
    return Table(sheet, header_number, columns, others, problems, key)
