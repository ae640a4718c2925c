from django.contrib.auth import views as auth_views
from django.urls import path

from crmdp.web.pages import (
    account,
    board,
    customers,
    deals,
    deliveries,
    edit,
    listeners,
    members,
    messages,
    notes,
    org_settings,
    search,
    session,
    tickets,
)

app_name = "web"

webhook = "settings/webhook/listeners/<int:listener_id>"

urlpatterns = [
    path("", session.home, name="home"),
    path("login/", session.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/", session.org_switch, name="org-switch"),
    # A person's own login.
    path("account/password/", account.password_change, name="password-change"),
    path("password-reset/", account.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        account.PasswordResetSentView.as_view(),
        name="password-reset-sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("search/", search.search, name="search"),
    # Records: one list and one detail page per record type.
    path("contacts/", customers.contact_list, name="contacts"),
    path("contacts/new/", edit.contact_new, name="contact-new"),
    path("accounts/new/", edit.account_new, name="account-new"),
    path("contacts/<str:code>/", customers.contact_detail, name="contact"),
    path("contacts/<str:code>/edit/", edit.contact_edit, name="contact-edit"),
    path("contacts/<str:code>/notes/", notes.customer_note_add, name="contact-note-add"),
    path("leads/", customers.lead_list, name="leads"),
    path("leads/new/", edit.lead_new, name="lead-new"),
    path("leads/<str:code>/", customers.lead_detail, name="lead"),
    path("leads/<str:code>/edit/", edit.lead_edit, name="lead-edit"),
    path(
        "leads/<str:code>/notes/",
        notes.customer_note_add,
        {"section": "leads"},
        name="lead-note-add",
    ),
    path("deals/", deals.deal_list_page, name="deals"),
    path("deals/board/", board.deal_board, name="deal-board"),
    path("deals/new/", edit.deal_new, name="deal-new"),
    path("deals/<str:deal_id>/", deals.deal_detail, name="deal"),
    path("deals/<str:deal_id>/stage/", board.deal_stage_page, name="deal-stage"),
    path("deals/<str:deal_id>/edit/", edit.deal_edit_page, name="deal-edit"),
    path("deals/<str:deal_id>/notes/", notes.deal_note_add, name="deal-note-add"),
    path("tickets/", tickets.ticket_list_page, name="tickets"),
    path("tickets/new/", edit.ticket_new, name="ticket-new"),
    path("tickets/<str:code>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:code>/edit/", edit.ticket_edit_page, name="ticket-edit"),
    path("tickets/<str:code>/status/", tickets.ticket_status_page, name="ticket_status"),
    path("tickets/<str:code>/notes/", notes.ticket_note_add, name="ticket-note-add"),
    path("tickets/<str:code>/assign/", tickets.ticket_assign_page, name="ticket-assign"),
    # A note opens on its customer's or deal's page.
    path("notes/<int:note_id>/", notes.note_page, name="note"),
    # The outbox, for owners and admins.
    path("messages/", messages.message_list_page, name="messages"),
    path("messages/<int:message_id>/", messages.message_detail, name="message"),
    # Settings.
    path("settings/", org_settings.settings_home, name="settings"),
    path("settings/users/", members.users, name="users"),
    path("settings/users/<int:member_id>/", members.member_edit, name="member"),
    path("settings/groups/<int:group_id>/", members.group_rename_page, name="group-rename"),
    path("settings/groups/", members.group_add_page, name="group-add"),
    path("settings/catalogs/<slug:slug>/", org_settings.catalog_page, name="catalog"),
    path(
        "settings/catalogs/<slug:slug>/<int:item_id>/",
        org_settings.catalog_item,
        name="catalog-item",
    ),
    path("settings/fields/", org_settings.fields, name="fields"),
    path(
        "settings/fields/<int:field_id>/remove/",
        org_settings.field_remove_page,
        name="field-remove",
    ),
    path("settings/sms/", org_settings.sms, name="sms"),
    path("settings/region/", org_settings.region, name="region"),
    path("settings/other/", org_settings.other_settings, name="other-settings"),
    # Settings → Other settings → Webhook → Listener (the vendor guide's path).
    path("settings/webhook/", listeners.webhook, name="webhook"),
    path("settings/webhook/listeners/add/", listeners.listener_add, name="listener-add"),
    path(f"{webhook}/", deliveries.listener_detail, name="listener"),
    path(f"{webhook}/edit/", listeners.listener_edit, name="listener-edit"),
    path(f"{webhook}/regenerate/", listeners.listener_regenerate_url, name="listener-regenerate"),
    path(f"{webhook}/state/", listeners.listener_state, name="listener-state"),
    path(f"{webhook}/delete/", listeners.listener_delete_page, name="listener-delete"),
    path(f"{webhook}/console/", deliveries.listener_console, name="listener-console"),
    path(f"{webhook}/deliveries/<int:delivery_id>/", deliveries.delivery_detail, name="delivery"),
    path(
        f"{webhook}/deliveries/<int:delivery_id>/replay/",
        deliveries.delivery_replay_page,
        name="delivery-replay",
    ),
    path(
        f"{webhook}/requests/<uuid:request_id>/",
        deliveries.delivery_by_request,
        name="delivery-by-request",
    ),
]
