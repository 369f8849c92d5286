"""The contact pages: the Contacts tab of a customer, create, edit, make primary, delete."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from core.customfields.forms import custom_values, with_custom_fields
from core.security.scopes import RecordContext
from core.web.form_feedback import posted_action, save_form
from plugins.customers import _
from plugins.customers.contact_forms import ContactForm
from plugins.customers.contacts import (
    CONTACT_CREATE,
    CONTACT_DELETE,
    CONTACT_EDIT,
    CONTACT_VIEW,
    RECORD_TYPE,
    contact_factory,
    contacts_of,
    customer_factory,
    delete_contact,
    make_primary,
    may_contacts,
    write_contact,
)
from plugins.customers.models import CHANNELS, Contact, Customer
from plugins.customers.service import display_phone
from plugins.customers.views import CONTACTS_TAB, back_to_customer, customer_form_page

TEMPLATES = "plugins.customers:templates/customers/"


@view_config(
    route_name="customer_contacts", renderer=TEMPLATES + "contacts.jinja2", permission=CONTACT_VIEW
)
def customer_contacts(context: RecordContext, request: Any) -> dict[str, Any]:
    """The Contacts tab: the customer's contacts, primary first, with actions for editors."""
    customer = context.record
    return {
        "customer": customer,
        "contacts": contacts_of(request.dbsession, customer),
        "can_create": may_contacts(request, customer, CONTACT_CREATE),
        "can_edit": may_contacts(request, customer, CONTACT_EDIT),
        "can_delete": may_contacts(request, customer, CONTACT_DELETE),
        "channels": {key: request.translate(label) for key, label in CHANNELS.items()},
        "display_phone": display_phone,
    }


def bound_form(request: Any, contact: Contact | None) -> tuple[ContactForm, list[Any]]:
    """The contact form with the contact custom fields, bound to the posted data."""
    definitions = request.custom_fields(RECORD_TYPE)
    form_class = with_custom_fields(ContactForm, definitions, request)
    post = request.POST if request.method == "POST" else None
    return form_class(request, post, obj=contact), definitions  # type: ignore[return-value]


def saved(request: Any, form: ContactForm, definitions: list[Any], contact: Contact) -> bool:
    """Save ``contact`` from a valid POSTed form; whether it was (else the form shows why).

    A stored contact is saved only at the version the form was loaded at.
    """

    def save() -> None:
        custom = custom_values(form, definitions)
        write_contact(request.dbsession, contact, form.values(), custom)

    return save_form(request, form, save, contact, versioned=True) is not None


def form_page(request: Any, form: ContactForm, customer: Customer, contact: Contact | None) -> dict:
    """The template data of the create and edit pages."""
    title = _("Edit ${name}", mapping={"name": contact.name}) if contact else _("New contact")
    return customer_form_page(request, form, customer, title, contact=contact)


@view_config(
    route_name="customer_contact_new",
    renderer=TEMPLATES + "contact_form.jinja2",
    permission=CONTACT_CREATE,
)
def contact_new(context: RecordContext, request: Any) -> Any:
    """Add a contact to a customer the user may edit (the first one becomes primary)."""
    customer = context.record
    form, definitions = bound_form(request, None)
    contact = Contact(customer_id=customer.id, custom={})
    if saved(request, form, definitions, contact):
        request.flash(_("Contact ${name} is added."), name=contact.name)
        return back_to_customer(request, customer.id, CONTACTS_TAB)
    return form_page(request, form, customer, None)


@view_config(
    route_name="contact_edit", renderer=TEMPLATES + "contact_form.jinja2", permission=CONTACT_EDIT
)
def contact_edit(context: RecordContext, request: Any) -> Any:
    """Edit a contact; saving over somebody else's newer changes is refused."""
    contact = context.record
    form, definitions = bound_form(request, contact)
    if saved(request, form, definitions, contact):
        request.flash(_("Contact ${name} is saved."), name=contact.name)
        return back_to_customer(request, contact.customer_id, CONTACTS_TAB)
    return form_page(request, form, contact.customer, contact)


@view_config(route_name="contact_primary", request_method="POST", permission=CONTACT_EDIT)
def contact_primary(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Make this contact the customer's primary contact."""
    contact = context.record
    if posted_action(request, contact, lambda: make_primary(request.dbsession, contact)):
        request.flash(_("${name} is now the primary contact."), name=contact.name)
    return back_to_customer(request, contact.customer_id, CONTACTS_TAB)


@view_config(route_name="contact_delete", request_method="POST", permission=CONTACT_DELETE)
def contact_delete(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Delete a contact; when it was primary, the next oldest becomes primary."""
    contact = context.record
    if posted_action(request, contact, lambda: delete_contact(request.dbsession, contact)):
        request.flash(_("Contact ${name} is deleted."), "warning", name=contact.name)
    return back_to_customer(request, contact.customer_id, CONTACTS_TAB)


def includeme(config: Any) -> None:
    """The routes of the contact pages; every one checks the customer's scope (else 404)."""
    customer = r"/customers/{id:\d+}/contacts"
    contact = r"/contacts/{id:\d+}"
    config.add_route("customer_contacts", customer, factory=customer_factory("view"))
    config.add_route("customer_contact_new", customer + "/new", factory=customer_factory("create"))
    config.add_route("contact_edit", contact + "/edit", factory=contact_factory("edit"))
    config.add_route("contact_primary", contact + "/primary", factory=contact_factory("edit"))
    config.add_route("contact_delete", contact + "/delete", factory=contact_factory("delete"))
    config.scan("plugins.customers.contact_views")
