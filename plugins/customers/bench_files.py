"""Customers to import in ``guanxi bench``: rows like a Chinese company's old system exports.

Names, places, levels and industries are what offices send (in Chinese, as
dictionary labels); every row is valid, so every row is created.  Codes,
mobiles, e-mail addresses and credit codes (the customers' match keys) come from a
serial in a block nobody else uses (mobiles ``199…``, which ``guanxi generate``
never gives out), starting after the highest one already in the database, so
an import never meets an existing customer, not even one a stopped bench run
left behind.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugins.customers import demo_names as names
from plugins.customers.models import Customer
from plugins.customers.validators import CREDIT_CODE_CHARS, credit_code_check

HEADER = [
    "客户编号",
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
TRADES = [
    "机械", "电子", "科技", "贸易", "物流", "建材",
    "食品", "医疗器械", "软件", "纺织", "化工", "汽车配件",
]  # fmt: skip
LEVELS = ["普通客户", "大客户", "合作伙伴", "重点开发客户"]
INDUSTRIES = ["制造业", "IT/信息技术", "零售", "物流", "", ""]
STREETS = [street for street, _english in names.STREETS]
LEGAL_FORMS = [legal for (legal, _english), _weight in names.LEGAL_FORMS]
LEGAL_WEIGHTS = [weight for _pair, weight in names.LEGAL_FORMS]
#: Mobiles of imported customers: ``+86 199`` and an eight-digit serial.
MOBILE_BLOCK = "+86199"
SERIALS = 10**8


def first_serial(session: Session) -> int:
    """The serial after the highest one a customer already has (0 for none)."""
    highest = session.scalar(
        select(func.max(Customer.phone)).where(
            Customer.phone >= MOBILE_BLOCK, Customer.phone < MOBILE_BLOCK + "~"
        )
    )  # a range the phone index answers on any database
    return int(highest[len(MOBILE_BLOCK) :]) + 1 if highest else 0


def credit_code(rng: random.Random, serial: int) -> str:
    """A valid unified social credit code of a company, unique to ``serial`` (a match key too)."""
    digits = []
    for _position in range(6):  # 31**6 > SERIALS
        serial, digit = divmod(serial, len(CREDIT_CODE_CHARS))
        digits.append(CREDIT_CODE_CHARS[digit])
    body = (
        "91"
        + f"{rng.randint(110000, 659999)}"
        + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(3))
        + "".join(reversed(digits))
    )
    return body + credit_code_check(body)


def rows(count: int, first: int = 0, seed: int = 1) -> Iterator[list[str]]:
    """``count`` customers (cells in the order of :data:`HEADER`), serials from ``first``."""
    if first + count > SERIALS:
        raise ValueError("the bench's block of mobile numbers is used up")
    rng = random.Random(seed)
    for serial in range(first, first + count):
        province, city = rng.choice(PLACES)
        place = city if rng.random() < 0.75 else ""
        legal = rng.choices(LEGAL_FORMS, LEGAL_WEIGHTS)[0]
        name = f"{place}{rng.choice(names.BRANDS_ZH)}{rng.choice(TRADES)}{legal}"
        yield [
            f"BX{serial:08d}",
            name,
            f"199{serial:08d}",
            f"sales{serial}@bench{serial % 97}.example.cn",
            province,
            city,
            rng.choice(LEVELS),
            rng.choice(INDUSTRIES),
            credit_code(rng, serial) if serial % 3 == 0 else "",
            f"{city}市{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            "2019年起合作" if serial % 5 == 0 else "",
        ]
