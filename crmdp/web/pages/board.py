"""The deal board: one column per stage, in the org's order, each with how many
deals it holds and what they are worth; a deal moves by choosing another stage
(a plain form, so it works without JavaScript; app.js adds drag and drop)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, F, Sum, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from crmdp.deals.models import Deal
from crmdp.deals.selectors import deal_list, deal_number, visible_deal
from crmdp.orgs.models import CatalogItem, CatalogKind, Membership
from crmdp.web.access import member_view
from crmdp.web.editing import deal_move
from crmdp.web.layout import page
from crmdp.web.pages.related import deal_url
from crmdp.web.records import NOT_SHARED, Link, money

# A column shows its newest deals up to this many; "All N →" opens the rest in the list.
CARDS_PER_COLUMN = 30


@dataclass
class BoardCard:
    id: int
    number: int
    name: str
    url: str
    value: str
    customer: str
    stage_id: int | None


@dataclass
class BoardColumn:
    stage_id: int | None
    name: str
    count: int = 0
    totals: list[str] = field(default_factory=list)  # one per currency: "50,000 VND"
    cards: list[BoardCard] = field(default_factory=list)
    more: Link | None = None

    @property
    def total(self) -> str:
        return " + ".join(self.totals) if self.totals else "0"


def _customer(deal: Deal) -> str:
    if deal.customer is None:
        return ""
    return deal.customer.display_name if deal.customer_visible else NOT_SHARED  # type: ignore[attr-defined]


def board_columns(membership: Membership) -> tuple[list[BoardColumn], list[CatalogItem]]:
    """The columns and the org's stages, in three queries whatever the number of
    stages or deals: the stages, the counts and totals, the newest cards of each."""
    stages = list(
        CatalogItem.objects.filter(org_id=membership.org_id, kind=CatalogKind.STAGE).order_by(
            "position", "name"
        )
    )
    deals = deal_list(membership).prefetch_related(None)
    columns: dict[int | None, BoardColumn] = {
        stage.id: BoardColumn(stage.id, stage.name) for stage in stages
    }
    sums: dict[int | None, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        deals.order_by()
        .values("stage_id", "currency__name")
        .annotate(deals=Count("id"), total=Sum("value"))
        .order_by("stage_id", "currency__name")
    ):
        stage_id = row["stage_id"]
        if stage_id not in columns:
            # A deal whose stage was removed from the catalog: shown, at the end.
            columns[None] = columns.get(None) or BoardColumn(None, "No stage")
            stage_id = None
        columns[stage_id].count += row["deals"]
        if row["total"] is not None:
            currency = row["currency__name"] or ""
            sums[stage_id][currency] = sums[stage_id].get(currency, Decimal(0)) + row["total"]
    for stage_id, by_currency in sums.items():
        columns[stage_id].totals = [
            f"{money(total)} {currency}".strip() for currency, total in by_currency.items()
        ]
    newest = deals.annotate(
        place=Window(RowNumber(), partition_by=[F("stage_id")], order_by=F("id").desc())
    ).filter(place__lte=CARDS_PER_COLUMN)
    for deal in newest:
        column = columns.get(deal.stage_id) or columns[None]
        column.cards.append(
            BoardCard(
                id=deal.id,
                number=deal.number,
                name=deal.name,
                url=deal_url(deal),
                value=money(deal.value, deal.currency),
                customer=_customer(deal),
                stage_id=deal.stage_id,
            )
        )
    deals_url = reverse("web:deals")
    for column in columns.values():
        column.cards.sort(key=lambda card: -card.id)
        if column.count > len(column.cards) and column.stage_id is not None:
            column.more = Link(f"All {column.count} →", f"{deals_url}?stage={column.stage_id}")
    ordered = [columns[stage.id] for stage in stages]
    if None in columns:
        ordered.append(columns[None])
    return ordered, stages


@member_view
def deal_board(request: HttpRequest, membership: Membership) -> HttpResponse:
    columns, stages = board_columns(membership)
    return page(
        request,
        membership,
        "web/deals/board.html",
        {"columns": columns, "stages": stages, "list_url": reverse("web:deals")},
        section="deals",
    )


@require_POST
@member_view
def deal_stage_page(request: HttpRequest, membership: Membership, deal_id: str) -> HttpResponse:
    """Move a deal to another stage: anyone who may see the deal may. Back to the
    board, or to the deal's page when the move was made there."""
    number = deal_number(deal_id)
    deal = visible_deal(membership, number) if number is not None else None
    if deal is None:
        return page(
            request,
            membership,
            "web/not_found.html",
            {"what": "deal", "back": Link("Deals", reverse("web:deals"))},
            status=404,
            section="deals",
        )
    given = request.POST.get("stage", "")
    # Only this org's stages: another org's stage id is no stage here.
    stage = (
        CatalogItem.objects.filter(
            org_id=membership.org_id, kind=CatalogKind.STAGE, id=int(given)
        ).first()
        if given.isascii() and given.isdigit() and len(given) <= 18
        else None
    )
    if stage is None:
        messages.error(request, "Stage: choose one of this organisation's deal stages.")
    elif deal_move(membership=membership, deal=deal, stage=stage):
        messages.success(request, f"{deal.name} moved to {stage.name}.")
    back = deal_url(deal) if request.POST.get("back") == "deal" else reverse("web:deal-board")
    return redirect(back)
