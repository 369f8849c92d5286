"""Customers imported from spreadsheets: checks, duplicates, all or nothing, undo, scope, search."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.tabular import pipeline
from core.tabular.imports import undo
from core.tabular.models import DataImport, ImportedRecord
from plugins.customers.customer_import import CustomerImporter
from plugins.customers.followup_models import FollowUp
from plugins.customers.models import Customer
from plugins.customers.search_index import search_filter

HEADER = ["客户名称", "手机", "邮箱", "省份", "城市", "负责人", "级别"]
GOOD = [
    ["上海华东机械有限公司", "138 1234 5678", "sales@huadong.example", "上海", "上海", "李强", ""],
    ["北京中关村科技", "+86 139-0000-1111", "", "北京市", "", "manager", "大客户"],
    ["深圳南山电子 𠮷", "13700001111", "", "广东", "深圳", "", ""],
]
BAD = ["坏数据公司", "12345", "not-mail", "火星", "", "nobody", "金牌"]


def customers(dbsession) -> dict[str, Customer]:  # type: ignore[no-untyped-def]
    """The live customers by name, as stored now (imports write past the session)."""
    dbsession.expire_all()
    return {
        c.name: c for c in dbsession.scalars(select(Customer).where(Customer.deleted_at.is_(None)))
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_every_encoding_imports_the_same_customers(encoding, org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    rows = [HEADER, *GOOD] if encoding != "gbk" else [HEADER, *GOOD[:2]]  # 𠮷 is not in GBK
    counts, data_import = import_rows(org["manager"], rows, encoding=encoding)
    assert (counts.created, counts.failed, data_import.state) == (len(rows) - 1, 0, "done")
    found = customers(dbsession)
    huadong = found["上海华东机械有限公司"]
    assert (huadong.phone, huadong.province_code, huadong.city_code) == (
        "+8613812345678",
        "31",
        "3101",
    )
    assert huadong.owner_id == org["rep"].id and huadong.team_id == org["east"].id
    assert found["北京中关村科技"].phone == "+8613900001111"
    assert found["北京中关村科技"].level == "major"
    if encoding != "gbk":
        assert found["深圳南山电子 𠮷"].owner_id == org["manager"].id  # blank owner: the importer


def test_headers_in_english_and_aliases_are_matched(org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    rows = [
        ["Company", "Mobile", "E-mail", "Customer code", "统一社会信用代码", "备注（选填）"],
        ["Acme Trading", "13812340000", "hi@acme.example", "acme-1", "91350100M000100Y43", "note"],
    ]
    _counts, data_import = import_rows(org["manager"], rows)
    assert data_import.mapping == ["name", "phone", "email", "code", "credit_code", "notes"]
    acme = customers(dbsession)["Acme Trading"]
    assert (acme.code, acme.credit_code, acme.notes) == ("ACME-1", "91350100M000100Y43", "note")


def test_one_bad_row_imports_nothing_and_says_why(org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    counts, data_import = import_rows(org["manager"], [HEADER, *GOOD, BAD])
    assert data_import.state == "not_applied"
    assert (counts.created, counts.failed) == (3, 1)  # what it would have done
    assert customers(dbsession) == {}
    assert data_import.has_error_file


def test_valid_rows_only_imports_the_rest(org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    counts, data_import = import_rows(org["manager"], [HEADER, BAD, *GOOD], valid_rows_only=True)
    assert (data_import.state, counts.created, counts.failed) == ("done", 3, 1)
    assert set(customers(dbsession)) == {row[0] for row in GOOD}


def test_a_dry_run_counts_and_writes_nothing(org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    counts, data_import = import_rows(org["manager"], [HEADER, *GOOD, BAD], dry_run=True)
    assert (data_import.state, counts.created, counts.failed) == ("checked", 3, 1)
    assert customers(dbsession) == {}
    assert (
        dbsession.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import")
        )
        == 0
    )


@pytest.mark.parametrize(
    ("policy", "created", "updated", "skipped", "phone_of_first"),
    [
        ("skip", 1, 0, 1, "+8613812345678"),
        ("update", 1, 1, 0, "+8613800009999"),
        ("create", 2, 0, 0, "+8613812345678"),
    ],
)
def test_each_duplicate_policy(
    policy, created, updated, skipped, phone_of_first, org, make_customer, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    existing = make_customer(
        org["manager"], "旧客户", email="old@huadong.example", phone="+8613812345678"
    )
    rows = [
        ["客户名称", "手机", "邮箱"],
        ["华东新名称", "13800009999", "OLD@huadong.example"],  # same e-mail, other case
        ["全新客户", "13911112222", ""],
    ]
    counts, _data_import = import_rows(org["manager"], rows, on_duplicate=policy)
    assert (counts.created, counts.updated, counts.skipped) == (created, updated, skipped)
    dbsession.refresh(existing)
    assert existing.phone == phone_of_first
    assert existing.name == ("华东新名称" if policy == "update" else "旧客户")
    assert existing.version == (2 if policy == "update" else 1)


def test_create_anyway_never_gives_a_second_customer_the_same_code(
    org, make_customer, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "旧客户", code="C-1")
    counts, _ = import_rows(
        org["manager"],
        [["客户编号", "客户名称"], ["c-1", "新客户"]],
        on_duplicate="create",
        valid_rows_only=True,
    )
    assert (counts.created, counts.failed) == (0, 1)


def test_a_file_repeating_a_customer_creates_it_once(org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    rows = [["客户名称", "手机"], ["甲公司", "13812345678"], ["甲公司（重复）", "138-1234-5678"]]
    counts, _ = import_rows(org["manager"], rows)
    assert (counts.created, counts.skipped) == (1, 1)
    counts, _ = import_rows(org["manager"], rows, on_duplicate="update")
    assert (counts.created, counts.updated) == (0, 1)
    assert list(customers(dbsession)) == ["甲公司（重复）"]


def test_a_second_run_of_the_same_file_creates_no_duplicates(org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    import_rows(org["manager"], [HEADER, *GOOD])
    counts, _ = import_rows(org["manager"], [HEADER, *GOOD])
    assert (counts.created, counts.skipped) == (0, 3)
    assert len(customers(dbsession)) == 3


def test_updates_change_only_what_the_row_gives(org, make_customer, import_rows, dbsession):  # type: ignore[no-untyped-def]
    existing = make_customer(
        org["manager"], "甲公司", code="C-9", notes="keep me", phone="+8613812345678"
    )
    counts, _ = import_rows(
        org["manager"], [["客户编号", "邮箱"], ["C-9", "new@example.com"]], on_duplicate="update"
    )
    dbsession.refresh(existing)
    assert (counts.updated, existing.email, existing.notes, existing.phone) == (
        1,
        "new@example.com",
        "keep me",
        "+8613812345678",
    )
    counts, _ = import_rows(
        org["manager"], [["客户编号", "邮箱"], ["C-9", "new@example.com"]], on_duplicate="update"
    )
    assert (counts.updated, counts.skipped) == (0, 1)  # nothing changed: not written again


def test_a_row_matching_two_customers_is_not_guessed(org, make_customer, import_rows, dbsession):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "甲", code="C-1")
    make_customer(org["manager"], "乙", phone="+8613812345678")
    counts, _ = import_rows(
        org["manager"],
        [["客户编号", "手机", "客户名称"], ["C-1", "13812345678", "丙"]],
        on_duplicate="update",
        valid_rows_only=True,
    )
    assert (counts.updated, counts.failed) == (0, 1)


def test_every_created_customer_links_to_its_import_which_is_audited_once(
    org, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    before = dbsession.scalar(select(func.count()).select_from(AuditEvent))
    _counts, data_import = import_rows(org["manager"], [HEADER, *GOOD])
    links = dbsession.scalars(
        select(ImportedRecord).where(ImportedRecord.import_id == data_import.id)
    ).all()
    assert sorted(link.record_id for link in links) == sorted(
        c.id for c in customers(dbsession).values()
    )
    assert {(link.record_type, link.action, link.version) for link in links} == {
        ("customers", "created", 1)
    }
    events = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.id > 0).order_by(AuditEvent.id.desc())
    ).all()
    new = events[: len(events) - before]
    assert [event.action for event in new] == ["import"]
    assert new[0].changes["created"] == 3 and new[0].record_id == str(data_import.id)


def test_imported_customers_are_found_by_search_and_pinyin(org, import_rows, dbsession):  # type: ignore[no-untyped-def]
    import_rows(org["manager"], [HEADER, *GOOD])
    for query in ("华东", "shanghaihuadong", "shhdjx", "1381234", "sales@huadong.example"):
        found = dbsession.scalars(
            select(Customer.name).where(search_filter(dbsession, query))
        ).all()
        assert found == ["上海华东机械有限公司"], query


def test_undo_deletes_what_it_created_and_restores_what_it_updated(
    org, make_customer, import_rows, dbsession, app
):  # type: ignore[no-untyped-def]
    existing = make_customer(org["manager"], "旧名称", code="C-7", notes="old")
    rows = [["客户编号", "客户名称", "备注"], ["C-7", "新名称", "new"], ["", "新客户", ""]]
    _counts, data_import = import_rows(org["manager"], rows, on_duplicate="update")
    assert set(customers(dbsession)) == {"新名称", "新客户"}
    web_request = _request_as(app, org["manager"], dbsession)
    undo(web_request, dbsession.get(DataImport, data_import.id))
    dbsession.flush()
    dbsession.refresh(existing)
    assert (existing.name, existing.notes) == ("旧名称", "old")
    assert set(customers(dbsession)) == {"旧名称"}
    assert (
        dbsession.scalars(select(Customer.name).where(search_filter(dbsession, "新客户"))).all()
        == []
    )
    assert dbsession.get(DataImport, data_import.id).state == "undone"


def test_undo_is_refused_once_someone_changed_a_record(org, import_rows, dbsession, app):  # type: ignore[no-untyped-def]
    from core.tabular.imports import UndoRefused

    _counts, data_import = import_rows(org["manager"], [HEADER, *GOOD])
    changed = customers(dbsession)["北京中关村科技"]
    changed.notes = "edited by hand"
    dbsession.flush()
    with pytest.raises(UndoRefused) as refused:
        undo(_request_as(app, org["manager"], dbsession), dbsession.get(DataImport, data_import.id))
    assert refused.value.message.mapping == {"count": 1}
    assert len(customers(dbsession)) == 3


def test_undo_is_refused_once_a_created_customer_is_in_use(org, import_rows, dbsession, app):  # type: ignore[no-untyped-def]
    from core.tabular.imports import UndoRefused

    _counts, data_import = import_rows(org["manager"], [HEADER, *GOOD])
    customer = customers(dbsession)["北京中关村科技"]
    dbsession.add(FollowUp(customer_id=customer.id, user_id=org["manager"].id, subject="call"))
    dbsession.flush()
    with pytest.raises(UndoRefused):
        undo(_request_as(app, org["manager"], dbsession), dbsession.get(DataImport, data_import.id))
    assert len(customers(dbsession)) == 3


def test_a_crash_in_the_middle_leaves_nothing_and_the_next_run_imports_once(
    org, import_rows, dbsession, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pipeline, "BATCH_ROWS", 2)
    rows = [["客户名称", "手机"]] + [[f"客户{i:02}", f"1381234{i:04}"] for i in range(7)]
    original = CustomerImporter.create
    calls = []

    def dies_on_the_third_batch(self, values):  # type: ignore[no-untyped-def]
        calls.append(len(values))
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process is killed
        return original(self, values)

    monkeypatch.setattr(CustomerImporter, "create", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        import_rows(org["manager"], rows)
    assert customers(dbsession) == {}
    assert calls == [2, 2, 2]
    monkeypatch.setattr(CustomerImporter, "create", original)
    counts, _ = import_rows(org["manager"], rows)
    counts_again, _ = import_rows(org["manager"], rows)
    assert (counts.created, counts_again.created, counts_again.skipped) == (7, 0, 7)
    assert len(customers(dbsession)) == 7


def test_a_representative_imports_only_into_their_own_scope(
    org, make_customer, import_rows, dbsession
):  # type: ignore[no-untyped-def]
    theirs = make_customer(org["manager"], "经理的客户", code="M-1")
    rows = [
        ["客户编号", "客户名称", "负责人"],
        ["M-1", "改名", ""],
        ["", "我的客户", ""],
        ["", "给别人", "王磊"],
    ]
    counts, _ = import_rows(org["rep"], rows, on_duplicate="update", valid_rows_only=True)
    assert (counts.created, counts.updated, counts.failed) == (1, 0, 2)
    dbsession.refresh(theirs)
    assert theirs.name == "经理的客户"
    assert customers(dbsession)["我的客户"].owner_id == org["rep"].id


def test_a_user_without_the_import_permission_cannot_import(org, import_rows):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionError):
        import_rows(org["agent"], [HEADER, *GOOD])


def _request_as(app, user, dbsession):  # type: ignore[no-untyped-def]
    """A request acting as ``user`` on the test's session (for calling services directly)."""
    from pyramid.request import Request, apply_request_extensions

    from core.acting import IDENTITY_KEY
    from core.security.identity import build_identity

    request = Request.blank("/")
    request.registry = app.registry
    apply_request_extensions(request)
    request.dbsession = dbsession
    request.environ[IDENTITY_KEY] = build_identity(dbsession, user, request.enabled_modules)
    return request
