"""Reading and writing the workbooks that admins and units exchange (``workbooks.md``).

- :mod:`.reader`: safe opening of ``.xlsx``/``.csv`` files, sheets of rows, header rows;
- :mod:`.values`: the one parser of cell values (numbers, percents, booleans, choices);
- :mod:`.errors`: :class:`CellError` and :class:`WorkbookError`, naming sheet and cell;
- :mod:`.units`, :mod:`.framework`, :mod:`.returns`: the three layouts.

Nothing here writes to the database: :mod:`assessments.services` does.
"""

from .errors import CellError, Problems, WorkbookError, cell_name
from .reader import Sheet, Workbook, open_workbook, read_table

__all__ = [
    "CellError",
    "Problems",
    "Sheet",
    "Workbook",
    "WorkbookError",
    "cell_name",
    "open_workbook",
    "read_table",
]
