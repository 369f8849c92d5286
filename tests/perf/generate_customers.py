"""Write N realistic customers to a CSV (GBK or UTF-8) or XLSX file, for measuring imports.

    .venv/bin/python tests/perf/generate_customers.py 100000 /tmp/customers.csv
    .venv/bin/python tests/perf/generate_customers.py 100000 /tmp/customers.xlsx

Names, places, phones, e-mail addresses and credit codes look like what a
Chinese company exports from its old system (and are all valid, so every row
is imported).  Not a test: nothing here is collected by pytest.
"""

from __future__ import annotations

import argparse
import csv
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from plugins.customers.validators import CREDIT_CODE_CHARS, credit_code_check

HEADER = [
    "客户名称",
    "手机",
    "邮箱",
    "省份",
    "城市",
    "级别",
    "行业",
    "统一社会信用代码",
    "地址",
    "备注",
]
PLACES = [
    ("广东", "深圳"),
    ("广东", "广州"),
    ("上海", "上海"),
    ("北京", "北京"),
    ("浙江", "杭州"),
    ("江苏", "南京"),
    ("江苏", "苏州"),
    ("四川", "成都"),
    ("湖北", "武汉"),
    ("山东", "青岛"),
]
WORDS = [
    "华东", "中天", "宏达", "瑞丰", "金桥", "新纪元", "长城", "东方",
    "鼎盛", "海川", "博远", "恒通", "嘉禾", "锦程", "凯旋",
]  # fmt: skip
TRADES = [
    "机械", "电子", "科技", "贸易", "物流", "建材",
    "食品", "医疗器械", "软件", "纺织", "化工", "汽车配件",
]  # fmt: skip
SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司", "实业有限公司"]
LEVELS = ["普通客户", "大客户", "合作伙伴", "重点开发客户"]
INDUSTRIES = ["制造业", "IT/信息技术", "零售", "物流", "", ""]


def credit_code(rng: random.Random) -> str:
    body = (
        "91"
        + f"{rng.randint(110000, 659999)}"
        + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(9))
    )
    return body + credit_code_check(body)


def rows(count: int, seed: int = 1) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for number in range(count):
        province, city = rng.choice(PLACES)
        name = f"{city}{rng.choice(WORDS)}{rng.choice(TRADES)}{rng.choice(SUFFIXES)}{number}"
        yield [
            name,
            f"1{rng.choice('3589')}{number:09d}",
            f"sales{number}@example{number % 97}.cn",
            province,
            city,
            rng.choice(LEVELS),
            rng.choice(INDUSTRIES),
            credit_code(rng) if number % 3 == 0 else "",
            f"{city}市{rng.choice(WORDS)}路{rng.randint(1, 999)}号",
            "2019年起合作" if number % 5 == 0 else "",
        ]


def add_dimension(path: Path, reference: str) -> None:
    """Record the sheet's size in it, as Excel does (openpyxl's streaming writer does not)."""
    source = path.with_suffix(".tmp")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetPr>", f'</sheetPr><dimension ref="{reference}"/>'.encode(), 1
                )
            new.writestr(item, data)
    source.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--encoding", default="gb18030", help="for CSV (default: gb18030)")
    args = parser.parse_args()
    if args.path.suffix == ".xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("客户")
        sheet.append(HEADER)
        for row in rows(args.count):
            sheet.append(row)
        workbook.save(args.path)
        add_dimension(args.path, f"A1:{get_column_letter(len(HEADER))}{args.count + 1}")
    else:
        with args.path.open("w", encoding=args.encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows(args.count))
    print(f"wrote {args.count} customers to {args.path}")


if __name__ == "__main__":
    main()
