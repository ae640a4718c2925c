"""Settings → Users and groups: adding a user (or a login of another org) with a role
and groups, changing a member's role, groups and state, adding a group. Owners and
admins only; every change goes through crmdp.orgs.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from crmdp.lib.issues import Invalid
from crmdp.orgs.models import Membership
from crmdp.orgs.selectors import member_groups, org_groups, org_member, org_members
from crmdp.orgs.services import group_add, group_rename, member_update, user_add
from crmdp.web.access import manager_view
from crmdp.web.forms import GroupForm, MemberForm, UserAddForm, show_problems
from crmdp.web.layout import settings_page
from crmdp.web.pages.org_settings import settings_not_found


def _users_page(
    request: HttpRequest,
    membership: Membership,
    user_form: UserAddForm,
    group_form: GroupForm,
    status: int = 200,
) -> HttpResponse:
    return settings_page(
        request,
        membership,
        "web/settings/users.html",
        {
            "members": list(org_members(membership.org)),
            "groups": list(org_groups(membership.org)),
            "user_form": user_form,
            "group_form": group_form,
        },
        current="users",
        status=status,
    )


@manager_view
def users(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.org
    form = UserAddForm(org, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The same checks and the same answer whether or not the email already has
        # a login (in this org or another): the page must not tell who has one. An
        # existing login keeps its own password; `user_add` never changes it.
        password = data["password"]
        try:
            validate_password(password)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("password", message)
        if not form.errors:
            try:
                added = user_add(
                    org=org,
                    email=data["email"],
                    role=data["role"],
                    groups=[group.name for group in data["groups"]],
                    password=password,
                    full_name=data["full_name"],
                )
            except Invalid as problem:
                show_problems(form, [problem])
            else:
                messages.success(
                    request,
                    f"{added.user.email} is now {added.role} of {org.name}. A new login signs"
                    " in with the password given; an existing login keeps its own.",
                )
                return redirect("web:users")
    return _users_page(request, membership, form, GroupForm(), status=400 if form.errors else 200)


@require_POST
@manager_view
def group_add_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            group = group_add(org=membership.org, name=form.cleaned_data["name"])
        except Invalid as problem:
            show_problems(form, [problem])
        else:
            messages.success(request, f"Group “{group.name}” added.")
            return redirect("web:users")
    return _users_page(request, membership, UserAddForm(membership.org), form, status=400)


@manager_view
def group_rename_page(request: HttpRequest, membership: Membership, group_id: int) -> HttpResponse:
    """Rename a group of this org (POST); a GET goes back to the groups."""
    if request.method != "POST":
        return redirect("web:users")
    try:
        group = group_rename(
            org=membership.org, group_id=group_id, name=request.POST.get("name", "")
        )
    except Invalid as problem:
        if problem.field == "group":  # not this org's: as missing as a group never made
            return settings_not_found(request, membership, "group")
        messages.error(request, f"Not renamed: {problem.message}.")
    else:
        messages.success(request, f"Group renamed to “{group.name}”.")
    return redirect(f"{reverse('web:users')}#groups-title")


@manager_view
def member_edit(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    member = org_member(membership.org, member_id)
    if member is None:
        return settings_not_found(request, membership, "user")
    initial = {
        "role": member.role,
        "groups": member_groups(member),
        "is_active": member.is_active,
    }
    form = MemberForm(membership.org, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_update(
                membership=member,
                role=data["role"],
                groups=list(data["groups"]),
                is_active=data["is_active"],
            )
        except Invalid as problem:
            show_problems(form, [problem])
        else:
            messages.success(request, f"{member.user.email} saved.")
            return redirect("web:users")
    return settings_page(
        request,
        membership,
        "web/settings/member.html",
        {"member": member, "form": form},
        current="users",
        status=400 if form.errors else 200,
    )
