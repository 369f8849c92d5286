"""The import template of a record type: an XLSX workbook to fill in and upload.

The first sheet has the headers in the user's language (required ones marked
with ``*``), an example row (the import leaves it out, so it may stay) and
drop-down lists for choices (levels, industries, regions …), whose values live
on a hidden sheet so that long lists work too.  A second sheet describes every
column: whether it is required, what to enter, the allowed values.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from core.contributions import TabularField, TabularType
from core.i18n import _
from core.tabular.cells import neutralise

#: Rows of the data sheet that offer the drop-down lists.
VALIDATED_ROWS = 2000
REQUIRED_MARK = " *"
LISTS_SHEET = "lists"
HEADER_FILL = PatternFill("solid", start_color="FFDCE6F5")
REQUIRED_FILL = PatternFill("solid", start_color="FFF8D7DA")
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _text(request: Any, value: Any) -> str:
    return value if isinstance(value, str) else request.translate(value)


def build_template(request: Any, tabular_type: TabularType, fields: list[TabularField]) -> bytes:
    """The template workbook of ``tabular_type`` (its ``fields``) for the user, as bytes."""
    translate = request.translate
    workbook = Workbook()
    data = workbook.active
    data.title = translate(tabular_type.label)[:31]
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    guide = workbook.create_sheet(translate(_("Columns"))[:31])
    for column, field in enumerate(fields, start=1):
        letter = get_column_letter(column)
        header = data.cell(row=1, column=column, value=neutralise(_text(request, field.label)))
        if field.required:
            header.value += REQUIRED_MARK
        header.font = Font(bold=True)
        header.fill = REQUIRED_FILL if field.required else HEADER_FILL
        example = data.cell(row=2, column=column, value=_text(request, field.example) or None)
        example.font = Font(color="FF6C757D")
        data.column_dimensions[letter].width = max(12, min(40, len(str(header.value)) * 2 + 4))
        if field.kind in NUMBER_FORMATS:
            for row in range(2, VALIDATED_ROWS + 2):
                data.cell(row=row, column=column).number_format = NUMBER_FORMATS[field.kind]
        if field.choices:
            for row, choice in enumerate(field.choices, start=1):
                lists.cell(row=row, column=column, value=neutralise(choice))
            source = f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(field.choices)}"
            validation = DataValidation(type="list", formula1=f"={source}", allow_blank=True)
            validation.error = translate(_("Choose a value from the list."))
            validation.showErrorMessage = True
            data.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{VALIDATED_ROWS + 1}")
    data.freeze_panes = "A2"
    _describe(request, guide, fields)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _describe(request: Any, sheet: Any, fields: list[TabularField]) -> None:
    """The guide sheet: a row per column."""
    translate = request.translate
    sheet.append(
        [
            translate(_("Column")),
            translate(_("Required")),
            translate(_("What to enter")),
            translate(_("Allowed values")),
            translate(_("Example")),
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    yes, no = translate(_("Yes")), translate(_("No"))
    for field in fields:
        sheet.append(
            [
                neutralise(_text(request, field.label)),
                yes if field.required else no,
                neutralise(_text(request, field.help)),
                neutralise("、".join(field.choices)),
                neutralise(_text(request, field.example)),
            ]
        )
    sheet.append([])
    sheet.append([translate(_("The example row is left out when you import this file."))])
    for letter, width in zip("ABCDE", (24, 10, 50, 40, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
