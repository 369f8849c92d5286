"""Demo customers: about forty companies in Shanghai, Jiangsu and Guangdong, with contacts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plugins.customers.models import Contact, Customer
from plugins.customers.service import assign_owner, company_year, next_code, normalise_phone

#: name, short name, (province, city, district), phone, level, status, owner username
DEMO_CUSTOMERS = [
    (
        "上海浦江精密机械有限公司",
        "浦江精密",
        ("31", "3101", "310115"),
        "021-58881234",
        "major",
        "active",
        "east_rep",
    ),
    (
        "上海申城物流股份有限公司",
        "申城物流",
        ("31", "3101", "310112"),
        "021-64502211",
        "key_prospect",
        "potential",
        "east_rep",
    ),
    (
        "上海静安云数科技有限公司",
        "云数科技",
        ("31", "3101", "310106"),
        "021-62883456",
        "partner",
        "active",
        "east_rep",
    ),
    (
        "上海徐汇新材料研究院有限公司",
        "徐汇新材",
        ("31", "3101", "310104"),
        "021-54236789",
        "strategic",
        "active",
        "manager",
    ),
    (
        "上海黄浦老字号食品有限公司",
        "黄浦食品",
        ("31", "3101", "310101"),
        "021-63218800",
        "normal",
        "at_risk",
        "east_rep",
    ),
    (
        "上海长宁航空服务有限公司",
        "长宁航服",
        ("31", "3101", "310105"),
        "021-62751100",
        "major",
        "active",
        "manager",
    ),
    (
        "上海杨浦智造科技有限公司",
        "杨浦智造",
        ("31", "3101", "310110"),
        "021-65439900",
        "normal",
        "potential",
        "east_rep",
    ),
    (
        "上海普陀医疗器械有限公司",
        "普陀医械",
        ("31", "3101", "310107"),
        "021-52661234",
        "key_prospect",
        "active",
        "east_rep",
    ),
    (
        "上海东方会展策划有限公司",
        "东方会展",
        ("31", "3101", "310115"),
        "13816604321",
        "normal",
        "churned",
        "east_rep",
    ),
    (
        "上海星河文化传媒有限公司",
        "星河传媒",
        ("31", "3101", "310106"),
        "13917702468",
        "normal",
        "potential",
        "manager",
    ),
    (
        "南京紫金软件股份有限公司",
        "紫金软件",
        ("32", "3201", "320102"),
        "025-84561234",
        "major",
        "active",
        "east_rep",
    ),
    (
        "南京建邺环保工程有限公司",
        "建邺环保",
        ("32", "3201", "320105"),
        "025-86623300",
        "normal",
        "active",
        "east_rep",
    ),
    (
        "南京秦淮文旅发展有限公司",
        "秦淮文旅",
        ("32", "3201", "320102"),
        "13770501122",
        "key_prospect",
        "potential",
        "manager",
    ),
    (
        "苏州工业园区纳米科技有限公司",
        "园区纳米",
        ("32", "3205", "320505"),
        "0512-62801234",
        "strategic",
        "active",
        "east_rep",
    ),
    (
        "苏州吴中丝绸制品有限公司",
        "吴中丝绸",
        ("32", "3205", "320506"),
        "0512-65261888",
        "normal",
        "at_risk",
        "east_rep",
    ),
    (
        "苏州虎丘电子元件有限公司",
        "虎丘电子",
        ("32", "3205", "320505"),
        "0512-68075566",
        "partner",
        "active",
        "manager",
    ),
    (
        "无锡新吴物联网科技有限公司",
        "新吴物联",
        ("32", "3202", "320214"),
        "0510-85223344",
        "major",
        "active",
        "east_rep",
    ),
    (
        "无锡太湖精工机械有限公司",
        "太湖精工",
        ("32", "3202", "320214"),
        "13606178899",
        "normal",
        "potential",
        "east_rep",
    ),
    (
        "常州新北光伏材料有限公司",
        "新北光伏",
        ("32", "3204", "320411"),
        "0519-85127700",
        "key_prospect",
        "active",
        "east_rep",
    ),
    (
        "常州龙城纺织有限公司",
        "龙城纺织",
        ("32", "3204", "320411"),
        "0519-86663322",
        "normal",
        "churned",
        "manager",
    ),
    (
        "南通江海船舶配件有限公司",
        "江海船配",
        ("32", "3206", None),
        "0513-85559900",
        "normal",
        "potential",
        "east_rep",
    ),
    (
        "江苏金陵建设集团有限公司",
        "金陵建设",
        ("32", "3201", "320105"),
        "025-52891234",
        "strategic",
        "active",
        "manager",
    ),
    (
        "广州天河数字营销有限公司",
        "天河数字",
        ("44", "4401", "440106"),
        "020-38881234",
        "major",
        "active",
        "south_rep",
    ),
    (
        "广州越秀餐饮管理有限公司",
        "越秀餐饮",
        ("44", "4401", "440104"),
        "020-83331166",
        "normal",
        "active",
        "south_rep",
    ),
    (
        "广州黄埔生物医药有限公司",
        "黄埔生物",
        ("44", "4401", "440112"),
        "020-82215566",
        "key_prospect",
        "potential",
        "south_rep",
    ),
    (
        "广州番禺珠宝首饰有限公司",
        "番禺珠宝",
        ("44", "4401", "440113"),
        "13802551234",
        "normal",
        "at_risk",
        "south_rep",
    ),
    (
        "广州白云空港物流有限公司",
        "白云物流",
        ("44", "4401", "440111"),
        "020-36061188",
        "partner",
        "active",
        "manager",
    ),
    (
        "深圳南山智能硬件有限公司",
        "南山智能",
        ("44", "4403", "440305"),
        "0755-86001234",
        "strategic",
        "active",
        "south_rep",
    ),
    (
        "深圳福田金融信息服务有限公司",
        "福田金信",
        ("44", "4403", "440304"),
        "0755-83456789",
        "major",
        "active",
        "manager",
    ),
    (
        "深圳宝安跨境电商有限公司",
        "宝安跨境",
        ("44", "4403", "440306"),
        "13923456780",
        "normal",
        "potential",
        "south_rep",
    ),
    (
        "深圳前海供应链管理有限公司",
        "前海供应链",
        ("44", "4403", "440305"),
        "0755-26889900",
        "key_prospect",
        "active",
        "south_rep",
    ),
    (
        "深圳鹏城新能源汽车有限公司",
        "鹏城新能源",
        ("44", "4403", "440306"),
        "0755-27661234",
        "major",
        "at_risk",
        "manager",
    ),
    (
        "佛山禅城陶瓷有限公司",
        "禅城陶瓷",
        ("44", "4406", "440604"),
        "0757-82261234",
        "normal",
        "active",
        "south_rep",
    ),
    (
        "佛山顺德家电制造有限公司",
        "顺德家电",
        ("44", "4406", "440606"),
        "0757-22883344",
        "strategic",
        "active",
        "south_rep",
    ),
    (
        "东莞松山湖电子科技有限公司",
        "松山湖电子",
        ("44", "4419", None),
        "0769-22891234",
        "major",
        "potential",
        "south_rep",
    ),
    (
        "东莞虎门服装有限公司",
        "虎门服装",
        ("44", "4419", None),
        "13711223344",
        "normal",
        "churned",
        "south_rep",
    ),
    (
        "珠海香洲游艇制造有限公司",
        "香洲游艇",
        ("44", "4404", "440402"),
        "0756-21123456",
        "partner",
        "active",
        "manager",
    ),
    (
        "中山古镇灯饰有限公司",
        "古镇灯饰",
        ("44", "4420", None),
        "0760-22331234",
        "normal",
        "potential",
        "south_rep",
    ),
    ("陈建国", None, ("44", "4403", "440304"), "13600001111", "normal", "active", "south_rep"),
    (
        "周丽华",
        None,
        ("31", "3101", "310104"),
        "13900002222",
        "key_prospect",
        "potential",
        "east_rep",
    ),
]


def load_demo_customers(session: Session, users: dict[str, Any]) -> int:
    """Add the demo customers for whichever demo owners exist; return how many."""
    year = company_year({})
    added = 0
    for name, short_name, (province, city, district), phone, level, status, owner in DEMO_CUSTOMERS:
        user = users.get(owner)
        if user is None:
            continue
        customer = Customer(
            code=next_code(session, year),
            name=name,
            short_name=short_name,
            kind="company" if short_name else "individual",
            level=level,
            status=status,
            province_code=province,
            city_code=city,
            district_code=district,
            phone=normalise_phone(phone),
            custom={},
        )
        assign_owner(customer, user)
        session.add(customer)
        session.flush()
        add_demo_contacts(session, customer, added)
        added += 1
    return added


#: (surname, given name, gender) of the demo contacts, drawn in turn.
DEMO_PEOPLE = [
    ("王", "建国", "male"),
    ("李", "秀英", "female"),
    ("张", "伟", "male"),
    ("刘", "芳", "female"),
    ("陈", "志强", "male"),
    ("杨", "丽娟", "female"),
    ("赵", "明", "male"),
    ("黄", "静", "female"),
    ("周", "海涛", "male"),
    ("吴", "婷婷", "female"),
    ("徐", "磊", "male"),
    ("孙", "晓燕", "female"),
]
#: (job title, department, preferred channel) of a customer's first, second and third contact.
DEMO_ROLES = [
    ("总经理", "总经理办公室", "visit"),
    ("采购经理", "采购部", "wechat"),
    ("财务主管", "财务部", "email"),
]
MOBILE_PREFIXES = ("138", "139", "136", "150", "158", "186", "189", "137")


def add_demo_contacts(session: Session, customer: Customer, index: int) -> None:
    """One to three contacts of the ``index``-th demo customer; the first is primary."""
    for number in range(index % 3 + 1):
        serial = index * 3 + number
        surname, given, gender = DEMO_PEOPLE[serial % len(DEMO_PEOPLE)]
        title, department, channel = DEMO_ROLES[number]
        prefix = MOBILE_PREFIXES[serial % len(MOBILE_PREFIXES)]
        session.add(
            Contact(
                customer_id=customer.id,
                name=surname + given,
                gender=gender,
                title=title,
                department=department,
                mobile=normalise_phone(f"{prefix}{(serial * 7919 + 24681357) % 10**8:08d}"),
                email=f"contact{serial + 1}@example.com" if channel == "email" else None,
                wechat_id=f"wx_{customer.code.lower()}_{number + 1}"
                if channel == "wechat"
                else None,
                preferred_channel=channel,
                is_primary=number == 0,
                custom={},
            )
        )
    session.flush()
