"""WTForms integration: translated messages and a base form for every page."""

from __future__ import annotations

from typing import Any

import wtforms
from wtforms.i18n import get_translations

from core.i18n import translate

#: WTForms' own catalogue for each UI language (it ships zh and zh_TW).
WTFORMS_LOCALES = {"en": ["en"], "zh_Hans": ["zh"], "zh_Hant": ["zh_TW"]}


class RequestTranslations:
    """Translate form messages with our catalogues, then with WTForms' own."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self.builtin = get_translations(WTFORMS_LOCALES.get(request.locale_name, ["en"]))

    def gettext(self, message: str) -> str:
        found = translate(self.request, message)
        return found if found != message else self.builtin.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.builtin.ngettext(singular, plural, n)


class Form(wtforms.Form):
    """Base form: bind with ``Form(request, formdata, obj=…)``; messages are translated."""

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        self.request = request
        self.form_errors: list[str] = []
        super().__init__(formdata=formdata, meta={"request": request}, **kwargs)

    class Meta:
        def get_translations(self, form: Any) -> RequestTranslations:
            return RequestTranslations(self.request)  # type: ignore[attr-defined]


def field_labels(form_class: type[wtforms.Form]) -> dict[str, Any]:
    """The label (a translation string) of every field a form class declares, by name.

    Record types pass these as their ``field_labels`` so that histories name a
    changed field as its form does.
    """
    labels: dict[str, Any] = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        if name.startswith("_") or not hasattr(unbound, "_formfield"):
            continue
        label = unbound.kwargs.get("label", unbound.args[0] if unbound.args else None)
        if label is not None:
            labels[name] = label
    return labels
