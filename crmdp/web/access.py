"""Who is looking: the logged-in user's membership in the org they are working in.

A user may belong to several orgs; the one they work in is kept in the session
and switched from the sidebar. Every page view receives that membership, the way
API views receive the bearer token's, and reads only through it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from crmdp.orgs.models import Membership
from crmdp.orgs.selectors import active_memberships
from crmdp.web.layout import page

SESSION_ORG = "crmdp_org_id"

# A page, or a file (a list's CSV export is streamed).
PageView = Callable[..., HttpResponseBase]


def user_memberships(request: HttpRequest) -> list[Membership]:
    """The logged-in user's active memberships, by org name."""
    return active_memberships(int(request.user.pk or 0))


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the org chosen in this session, else the org the user
    joined first (their home org)."""
    memberships = user_memberships(request)
    chosen = request.session.get(SESSION_ORG)
    for membership in memberships:
        if membership.org_id == chosen:
            return membership
    return min(memberships, key=lambda membership: membership.id) if memberships else None


def switch_org(request: HttpRequest, org_id: int) -> Membership | None:
    """Work in another of the user's orgs from now on; None if they are not in it."""
    for membership in user_memberships(request):
        if membership.org_id == org_id:
            request.session[SESSION_ORG] = org_id
            return membership
    return None


def member_view(view: PageView) -> PageView:
    """Logged in and an active member of some org; the view gets the membership."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        membership = current_membership(request)
        if membership is None:
            return render(request, "web/no_org.html", status=403)
        return view(request, membership, *args, **kwargs)

    return wrapper


def manager_view(view: PageView) -> PageView:
    """As member_view, for owners and admins only (settings, listeners, the log)."""

    @member_view
    @wraps(view)
    def wrapper(
        request: HttpRequest, membership: Membership, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if not membership.sees_everything:
            return page(request, membership, "web/forbidden.html", status=403)
        return view(request, membership, *args, **kwargs)

    return wrapper
