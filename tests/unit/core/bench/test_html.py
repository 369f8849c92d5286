"""Reading a form page the way the bench's write scenarios do."""

from __future__ import annotations

from core.bench.html import form_errors

PAGE = """
<form method="post" action="/customers/new">
  <input name="name" value="">
  <div id="name-errors" class="invalid-feedback d-block"><div>This field is required.</div>
  <div>Use at most 200 characters &amp; no tags.</div></div>
</form>
<div class="alert alert-danger" role="alert"><div>Someone else saved it.</div></div>
"""


def test_form_errors_are_the_field_and_form_messages_as_text() -> None:
    assert form_errors(PAGE) == [
        "This field is required. Use at most 200 characters & no tags.",
        "Someone else saved it.",
    ]


def test_a_page_without_errors_has_none() -> None:
    assert form_errors('<form><input name="name"></form>') == []
