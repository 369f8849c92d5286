"""Why a file could not be read, in words a user can act on."""

from __future__ import annotations

from typing import Any

from core.i18n import _


class FileRefused(ValueError):
    """A file that cannot be read; ``message`` is a translation string for the user."""

    def __init__(self, message: Any, **mapping: Any) -> None:
        super().__init__(str(message))
        self.message = message
        self.mapping = mapping


EMPTY = _("The file is empty.")
BINARY = _("This is not a text file. Upload a CSV file or an Excel workbook (.xlsx).")
UNKNOWN_ENCODING = _(
    "The file's character encoding could not be recognised. "
    "Save it as UTF-8 CSV, or choose its encoding."
)
WRONG_ENCODING = _(
    "Row ${row} cannot be read as ${encoding}. Choose another encoding, or save the file as UTF-8."
)
MALFORMED_ROW = _("Row ${row} is malformed (an unclosed quote or a cell that is too long).")
TOO_LARGE = _("The file is larger than the limit of ${limit}.")
TOO_MANY_ROWS = _("The file has more than ${limit} rows.")
ENCRYPTED = _(
    "The workbook is password-protected. Remove the password in Excel, save it and upload it again."
)
DAMAGED = _("The workbook is damaged or incomplete. Open it in Excel and save it again.")
UNPACKED_TOO_LARGE = _("The workbook unpacks to more data than allowed.")
NO_HEADER = _("No header row was found in the first ${rows} rows.")
NO_SHEET = _("The workbook has no sheet called ${name}.")
NO_COLUMN = _("The file has no column called ${name}.")
