"""CSV files as offices send them: the csv-spectrum cases in every encoding Excel writes."""

from __future__ import annotations

import codecs
import io
import json
from pathlib import Path

import pytest

from core.tabular import errors
from core.tabular.csv_files import detect_delimiter, open_csv

#: A copy of csv-spectrum (BSD-2-Clause, github.com/maxogden/csv-spectrum; see its package.json).
SPECTRUM = Path(__file__).resolve().parents[3] / "data" / "csv-spectrum"
CASES = sorted(path.stem for path in (SPECTRUM / "csvs").glob("*.csv"))
ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16 with BOM": lambda text: text.encode("utf-16"),
    "gb18030": lambda text: text.encode("gb18030"),
}


def records(data: bytes, **options: str) -> list[dict[str, str]]:
    rows = [row.cells for row in open_csv(io.BytesIO(data), **options).rows()]
    header, body = rows[0], rows[1:]
    return [dict(zip(header, cells, strict=True)) for cells in body]


#: Two symbols in otherwise ASCII text are ambiguous between legacy encodings (the
#: user picks the encoding then), so that file is not tried as GB18030.
AMBIGUOUS = {("location_coordinates", "gb18030")}


def test_every_spectrum_case_is_there() -> None:
    """An empty parameter list would skip the cases below instead of failing."""
    assert len(CASES) == 12


@pytest.mark.parametrize(
    ("case", "encoding"),
    [
        (case, encoding)
        for case in CASES
        for encoding in ENCODINGS
        if not case.startswith("empty") and (case, encoding) not in AMBIGUOUS
    ],
)
def test_every_spectrum_case_parses_to_its_expected_records(case: str, encoding: str) -> None:
    text = spectrum_text(case)
    expected = json.loads((SPECTRUM / "json" / f"{case}.json").read_text("utf-8"))
    if isinstance(expected, dict):  # one file's expectation is its only record, unwrapped
        expected = [expected]
    if case == "location_coordinates":
        # Upstream's expectation has a placeholder phone number; the file has the real one.
        expected[0]["Contact Phone Number"] = "2095257564"
    assert records(ENCODINGS[encoding](text)) == expected


def spectrum_text(case: str) -> str:
    """A csv-spectrum file's text; the ``_crlf`` cases get back the CRs their copy lost."""
    text = (SPECTRUM / "csvs" / f"{case}.csv").read_bytes().decode("utf-8")
    if case.endswith("_crlf") and "\r\n" not in text:
        text = text.replace("\n", "\r\n")
    return text


@pytest.mark.parametrize("case", ["empty", "empty_crlf"])
def test_the_spectrum_files_without_records_give_a_header_and_nothing_else(case: str) -> None:
    data = spectrum_text(case).encode()
    expected = json.loads((SPECTRUM / "json" / f"{case}.json").read_text("utf-8"))
    assert records(data) == expected


GBK_SHEET = (
    "客户名称,联系人,手机\r\n"
    "上海华东机械有限公司,张三,13812345678\r\n"
    "北京中关村科技,李四,13900001111\r\n"
)


def test_gbk_from_excel_on_chinese_windows_is_recognised() -> None:
    csv_file = open_csv(io.BytesIO(GBK_SHEET.encode("gbk")))
    assert csv_file.encoding == "gb18030"
    assert [row.cells[1] for row in csv_file.rows()] == ["联系人", "张三", "李四"]


def test_big5_is_recognised_for_traditional_chinese() -> None:
    text = "客戶名稱,聯絡人\n台北信義科技股份有限公司,陳大文\n高雄港務物流,林小美\n"
    csv_file = open_csv(io.BytesIO(text.encode("big5")))
    assert csv_file.encoding == "big5"
    assert list(csv_file.rows())[1].cells == ["台北信義科技股份有限公司", "陳大文"]


def test_utf16_tab_separated_unicode_text_without_bom() -> None:
    csv_file = open_csv(io.BytesIO("名称\t电话\n张三\t138\n".encode("utf-16-le")))
    assert (csv_file.encoding, csv_file.delimiter) == ("utf-16-le", "\t")
    assert list(csv_file.rows())[1].cells == ["张三", "138"]


def test_an_encoding_chosen_by_the_user_wins() -> None:
    data = "名称\n张三\n".encode("gb18030")
    assert open_csv(io.BytesIO(data), encoding="GBK").encoding == "gbk"


def test_an_unknown_encoding_name_is_refused_clearly() -> None:
    with pytest.raises(errors.FileRefused) as refused:
        open_csv(io.BytesIO(b"a,b\n1,2\n"), encoding="klingon")
    assert refused.value.message == errors.UNKNOWN_ENCODING


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ('a,b\n"x;y",2\n', ","),
        ("a|b\n1|2\n", "|"),
    ],
)
def test_the_delimiter_is_sniffed(text: str, delimiter: str) -> None:
    assert detect_delimiter(text) == delimiter


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
def test_every_line_ending_is_read(ending: str) -> None:
    data = ending.join(["name,city", "张三,上海", '"多行\n备注",北京', ""]).encode()
    assert [row.cells for row in open_csv(io.BytesIO(data)).rows()] == [
        ["name", "city"],
        ["张三", "上海"],
        ["多行\n备注", "北京"],
    ]


def test_blank_lines_are_skipped_but_rows_keep_their_spreadsheet_numbers() -> None:
    data = b"name\n\nalpha\n,\nbeta\n\n\n"
    assert [(row.number, row.cells) for row in open_csv(io.BytesIO(data)).rows()] == [
        (1, ["name"]),
        (3, ["alpha"]),
        (5, ["beta"]),
    ]


def test_characters_outside_the_basic_plane_survive() -> None:
    data = "名称,备注\n𠮷野家,🎉 开业\n".encode()
    assert list(open_csv(io.BytesIO(data)).rows())[1].cells == ["𠮷野家", "🎉 开业"]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", codecs.BOM_UTF8])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(errors.FileRefused) as refused:
        open_csv(io.BytesIO(data))
    assert refused.value.message == errors.EMPTY


def test_a_binary_file_is_refused() -> None:
    with pytest.raises(errors.FileRefused) as refused:
        open_csv(io.BytesIO(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00" * 20))
    assert refused.value.message == errors.BINARY


def test_text_that_changes_encoding_mid_file_names_the_row() -> None:
    head = "名称\n" + "张三\n" * 20000
    data = head.encode("utf-8") + "李四\n".encode("gbk")
    rows = open_csv(io.BytesIO(data)).rows()
    with pytest.raises(errors.FileRefused) as refused:
        list(rows)
    assert refused.value.message == errors.WRONG_ENCODING
    assert refused.value.mapping["encoding"] == "utf-8"


def test_an_oversized_cell_is_refused_not_crashed_on() -> None:
    data = b'name\n"' + b"x" * (2 * 1024 * 1024)
    with pytest.raises(errors.FileRefused) as refused:
        list(open_csv(io.BytesIO(data)).rows())
    assert refused.value.message == errors.MALFORMED_ROW
