"""The search index on the test database (SQLite FTS5 or PostgreSQL GIN)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.search import SearchIndex, index_terms
from core.security.models import User

INDEX = SearchIndex()


@pytest.fixture
def people(dbsession, factory):
    """Three indexed people (record type ``person``) and one other record with the same name."""
    zhang = factory.user("zhang")
    shan = factory.user("shan")
    alice = factory.user("alice")
    dbsession.flush()
    rows = {
        zhang.id: index_terms(
            "北京分公司", person_names=["张三"], phones=["13800138000"], emails=["zs@example.com"]
        ),
        shan.id: index_terms(person_names=["单伟"], phones=["021-6555-1234"]),
        alice.id: index_terms("Acme Trading", person_names=["Alice Zhangsun"]),
    }
    for record_id, terms in rows.items():
        INDEX.upsert(dbsession, "person", record_id, terms)
    INDEX.upsert(dbsession, "company", zhang.id, index_terms("张三贸易"))
    return zhang, shan, alice


def find(dbsession, q, **kwargs):
    return INDEX.search(dbsession, "person", q, **kwargs)


def test_one_and_two_character_chinese_queries_find_the_record(dbsession, people):
    zhang, shan, _ = people
    assert find(dbsession, "张") == [zhang.id]
    assert find(dbsession, "张三") == [zhang.id]
    assert find(dbsession, "单伟") == [shan.id]
    assert find(dbsession, "北京分公司") == [zhang.id]
    assert find(dbsession, "张伟") == []
    assert INDEX.search(dbsession, "company", "张三") == [zhang.id]


def test_pinyin_and_initials_match_by_prefix(dbsession, people):
    zhang, shan, alice = people
    assert find(dbsession, "zhangsan") == [zhang.id]
    assert find(dbsession, "zs") == [zhang.id]
    assert find(dbsession, "ZHANGS") == sorted([zhang.id, alice.id], reverse=True)
    assert find(dbsession, "shanw") == [shan.id]
    assert find(dbsession, "danwei") == []
    assert find(dbsession, "zhangsunlonger") == []
    assert find(dbsession, "ac tra") == [alice.id]


def test_prefixes_longer_than_the_stored_ones_still_match_exactly(dbsession, people):
    _, _, alice = people
    INDEX.upsert(dbsession, "person", alice.id, index_terms("Internationalisation"))
    assert find(dbsession, "internationalis") == [alice.id]
    assert find(dbsession, "internationalx") == []


def test_phone_numbers_and_emails_find_the_record(dbsession, people):
    zhang, shan, _ = people
    assert find(dbsession, "8000") == [zhang.id]
    assert find(dbsession, "13800138000") == [zhang.id]
    assert find(dbsession, "1234") == [shan.id]
    assert find(dbsession, "zs@example.com") == [zhang.id]
    assert find(dbsession, "zs@example.org") == []


def test_upsert_replaces_the_terms_and_delete_removes_the_record(dbsession, people):
    zhang, _, _ = people
    INDEX.upsert(dbsession, "person", zhang.id, index_terms(person_names=["李四"]))
    assert find(dbsession, "张三") == []
    assert find(dbsession, "lisi") == [zhang.id]
    INDEX.delete(dbsession, "person", zhang.id)
    assert find(dbsession, "李四") == []
    assert INDEX.search(dbsession, "company", "张三") == [zhang.id]
    INDEX.delete(dbsession, "person", zhang.id)


def test_the_scope_subquery_restricts_the_results(dbsession, people):
    _, _, alice = people
    in_scope = sa.select(User.id).where(User.username == "alice")
    assert find(dbsession, "zhangs", scope_subquery=in_scope) == [alice.id]
    assert find(dbsession, "张三", scope_subquery=in_scope) == []


def test_limit_and_empty_queries(dbsession, people):
    assert len(find(dbsession, "zhangs", limit=1)) == 1
    assert find(dbsession, "  ?! ") == []
