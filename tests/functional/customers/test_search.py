"""Search for customers and contacts: the list's box, the API's ``q`` and global search.

Every rule is checked where users meet it; the index is kept by every write
(pages, API, ORM) and rebuilt by ``reindex_customers`` after Core writes.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from core.security.tokens import create_token
from plugins.customers.models import Contact, Customer
from plugins.customers.search_index import REBUILDERS, reindex_customers

API = "/api/v1/customers"
PERMISSIONS = ["customers.customer.view", "customers.contact.view"]


def rows(page):
    """Customer ids of the list's rows, in order."""
    return [int(value) for value in re.findall(r'data-customer="(\d+)"', page.text)]


@pytest.fixture
def find(login_as, client, dbsession):
    """``find(user, q)`` → ids found by the list page, the API and global search (customers).

    Asserts that the three agree, so each rule below is checked in all three places.
    """

    def search(user, query):
        listed = set(rows(login_as(user).get("/customers", params={"q": query})))
        token = create_token(dbsession, user, "t", PERMISSIONS)[1]
        api = client.get(API, params={"q": query}, headers={"Authorization": f"Bearer {token}"})
        by_api = {item["id"] for item in api.json["items"]}
        page = login_as(user).get("/search", params={"q": query}).text
        globally = {int(i) for i in re.findall(r'href="/customers/(\d+)"', page)}
        assert listed == by_api, query
        assert globally <= listed, query
        return listed

    return search


@pytest.fixture
def contact(dbsession):
    """``contact(customer, name, **fields)`` adds a live contact."""

    def add(customer, name, **fields):
        person = Contact(customer_id=customer.id, name=name, custom={}, **fields)
        dbsession.add(person)
        dbsession.flush()
        return person

    return add


# -- the rules ------------------------------------------------------------------------


def test_one_and_two_chinese_characters_find_a_company(find, org, make_customer):
    found = make_customer(org["rep"], "上海浦江精密机械有限公司", short_name="浦江精密")
    make_customer(org["rep"], "南京紫金软件股份有限公司")
    for query in ("浦", "浦江", "精密机械", "浦江 精密"):
        assert find(org["rep"], query) == {found.id}
    assert find(org["rep"], "江浦") == set()


def test_a_company_is_found_by_the_pinyin_of_its_whole_name(find, org, make_customer):
    huawei = make_customer(org["rep"], "深圳市华为技术有限公司", short_name="华为")
    other = make_customer(org["rep"], "华东电子有限公司")
    assert find(org["rep"], "huawei") == {huawei.id}
    assert find(org["rep"], "hw") == {huawei.id}
    assert find(org["rep"], "shenzhenshihuawei") == {huawei.id}
    assert find(org["rep"], "hua") == {huawei.id, other.id}


def test_a_person_is_found_by_initials_and_full_pinyin(find, org, make_customer):
    zhang = make_customer(org["rep"], "张三", kind="individual")
    make_customer(org["rep"], "李四", kind="individual")
    for query in ("zs", "zhangsan", "ZhangS", "张三", "张"):
        assert find(org["rep"], query) == {zhang.id}, query


@pytest.mark.parametrize(
    ("name", "reading", "wrong"),
    [
        ("单伟", "shanwei", "danwei"),
        ("曾国藩", "zengguofan", "cengguofan"),
        ("解晓东", "xiexiaodong", "jiexiaodong"),
        ("仇英", "qiuying", "chouying"),
        ("朴智星", "piaozhixing", "puzhixing"),
        ("查良镛", "zhaliangyong", "chaliangyong"),
        ("区家麟", "oujialin", "qujialin"),
    ],
)
def test_polyphonic_surnames_are_read_as_surnames(find, org, make_customer, name, reading, wrong):
    person = make_customer(org["rep"], name, kind="individual")
    assert find(org["rep"], reading) == {person.id}
    assert find(org["rep"], wrong) == set()


def test_phones_by_their_last_digits_leading_digits_and_as_written(find, org, make_customer):
    mobile = make_customer(org["rep"], "甲公司", phone="+8613812345678")
    landline = make_customer(org["rep"], "乙公司", phone="+862164502211")
    assert find(org["rep"], "5678") == {mobile.id}
    assert find(org["rep"], "+86 138-1234-5678") == {mobile.id}
    assert find(org["rep"], "138 1234") == {mobile.id}
    assert find(org["rep"], "(021) 6450-2211") == {landline.id}
    assert find(org["rep"], "6450 2211") == {landline.id}
    assert find(org["rep"], "2211") == {landline.id}
    assert find(org["rep"], "1234") == set()


def test_code_email_and_full_width_queries(find, org, make_customer):
    customer = make_customer(
        org["rep"], "ABC123贸易有限公司", code="C2026000777", email="Sales@Acme.cn"
    )
    assert find(org["rep"], "ＡＢＣ１２３") == {customer.id}
    assert find(org["rep"], "c2026000777") == {customer.id}
    assert find(org["rep"], "sales@acme.cn") == {customer.id}
    assert find(org["rep"], "ｓａｌｅｓ") == {customer.id}


def test_odd_queries_find_nothing_and_a_blank_api_query_lists_everything(
    find, org, make_customer, client, dbsession
):
    customer = make_customer(org["rep"], "普通公司")
    for query in ("%", "*", '"', "NEAR(", "a OR b", "-"):
        assert find(org["rep"], query) == set(), query
    token = create_token(dbsession, org["rep"], "t", PERMISSIONS)[1]
    headers = {"Authorization": f"Bearer {token}"}
    assert [c["id"] for c in client.get(API, params={"q": " "}, headers=headers).json["items"]] == [
        customer.id
    ]
    problem = client.get(API, params={"q__contains": "x"}, headers=headers, status=400).json
    assert problem["parameter"] == "q__contains"


# -- contacts ---------------------------------------------------------------------------


def test_contacts_find_their_customer_in_the_list_and_show_in_global_search(
    find, org, make_customer, contact, login_as
):
    customer = make_customer(org["rep"], "苏州虎丘电子元件有限公司")
    contact(customer, "曾小贤", mobile="+8613900002222", email="xiaoxian@huqiu.cn")
    gone = contact(customer, "王五", mobile="+8613700001111")
    gone.deleted_at = customer.created_at
    for query in ("曾小贤", "zxx", "zengxiaoxian", "2222", "xiaoxian@huqiu.cn"):
        assert find(org["rep"], query) == {customer.id}, query
    assert find(org["rep"], "王五") == set()
    page = login_as(org["rep"]).get("/search", params={"q": "zxx"})
    assert "曾小贤" in page.text and "苏州虎丘电子元件有限公司" in page.text
    assert "Contact" in page.text


def test_the_contacts_api_searches_and_pages_within_scope(
    client, dbsession, org, make_customer, contact
):
    mine = make_customer(org["rep"], "甲公司")
    theirs = make_customer(org["other_rep"], "乙公司")
    zhang = contact(mine, "张三", mobile="+8613800001234", is_primary=True)
    li = contact(mine, "李四", mobile="+8613800005678")
    contact(theirs, "张三丰", mobile="+8613800009999", is_primary=True)
    token = create_token(dbsession, org["rep"], "t", PERMISSIONS)[1]
    headers = {"Authorization": f"Bearer {token}"}

    def ids(response):
        return [item["id"] for item in response.json["items"]]

    assert ids(client.get("/api/v1/contacts", params={"q": "zs"}, headers=headers)) == [zhang.id]
    first = client.get("/api/v1/contacts", params={"q": "138000", "limit": "1"}, headers=headers)
    assert ids(first) == [li.id]
    second = client.get(first.json["next"].replace("http://localhost", ""), headers=headers)
    assert ids(second) == [zhang.id] and second.json["next"] is None
    client.get("/api/v1/contacts", status=401)


# -- scope and deletion -----------------------------------------------------------------


def test_a_representative_never_finds_another_representatives_customer(
    find, org, make_customer, contact
):
    theirs = make_customer(org["other_rep"], "张三", kind="individual", phone="+8613812345678")
    contact(theirs, "李秀英", mobile="+8613911112222")
    mine = make_customer(org["rep"], "张三丰", kind="individual")
    for query in ("张三", "zs", "5678", "李秀英", "lxy", "2222"):
        assert theirs.id not in find(org["rep"], query), query
    assert find(org["rep"], "zs") == {mine.id}
    assert find(org["manager"], "zs") == {mine.id, theirs.id}


def test_deleted_customers_are_found_only_in_the_recycle_bin(
    find, org, make_customer, login_as, clock
):
    gone = make_customer(org["manager"], "已删除公司", deleted_at=clock.now)
    assert find(org["manager"], "已删除") == set()
    bin_page = login_as(org["manager"]).get("/customers", params={"q": "已删除", "deleted": "1"})
    assert rows(bin_page) == [gone.id]


# -- keeping the index current ----------------------------------------------------------


def test_page_edits_delete_and_restore_keep_the_index_current(find, org, make_customer, login_as):
    customer = make_customer(org["manager"], "旧名称有限公司", kind="company", level="normal")
    web = login_as(org["manager"])
    values = {
        "name": "新名称有限公司",
        "kind": "company",
        "level": "normal",
        "status": "potential",
        "province_code": "",
        "city_code": "",
        "district_code": "",
        "owner_id": org["manager"].id,
        "version": customer.version,
    }
    web.post_form(f"/customers/{customer.id}/edit", values, status=303)
    assert find(org["manager"], "旧名称") == set()
    assert find(org["manager"], "xinmingcheng") == {customer.id}
    web.post_form(f"/customers/{customer.id}/delete", status=303)
    assert find(org["manager"], "新名称") == set()
    web.post_form(f"/customers/{customer.id}/restore", status=303)
    assert find(org["manager"], "新名称") == {customer.id}


def test_api_writes_keep_the_index_current(find, org, client, dbsession):
    permissions = [*PERMISSIONS, "customers.customer.create", "customers.customer.edit"]
    headers = {
        "Authorization": f"Bearer {create_token(dbsession, org['rep'], 't', permissions)[1]}"
    }
    created = client.post_json(API, {"name": "曾经的公司", "phone": "13800009999"}, headers=headers)
    customer_id = created.json["id"]
    assert find(org["rep"], "9999") == {customer_id}
    body = {"phone": "13800001111", "version": created.json["version"]}
    client.patch_json(f"{API}/{customer_id}", body, headers=headers)
    assert find(org["rep"], "9999") == set()
    assert find(org["rep"], "1111") == {customer_id}


def test_core_writes_are_reindexed_on_request(find, org, make_customer, dbsession):
    customer = make_customer(org["rep"], "甲公司")
    dbsession.execute(update(Customer).where(Customer.id == customer.id).values(name="乙公司"))
    assert find(org["rep"], "乙公司") == set()
    assert reindex_customers(dbsession, [customer.id, 987654]) == 2
    assert find(org["rep"], "乙公司") == {customer.id}


def test_rebuild_reindexes_everything_in_batches(
    find, org, make_customer, contact, dbsession, monkeypatch
):
    monkeypatch.setattr("plugins.customers.search_index.BATCH_SIZE", 2)
    customers = [make_customer(org["rep"], f"公司{n}") for n in range(3)]
    contact(customers[0], "赵六")
    dbsession.execute(update(Customer).values(short_name="合众"))
    dbsession.execute(update(Contact).values(name="钱七"))
    progress = []
    assert REBUILDERS["customers"](dbsession, progress.append) == 3
    assert progress == [2, 3]
    assert find(org["rep"], "hezhong") == {c.id for c in customers}
    assert find(org["rep"], "qq") == set()
    assert REBUILDERS["contacts"](dbsession, None) == 1
    assert find(org["rep"], "qq") == {customers[0].id}
