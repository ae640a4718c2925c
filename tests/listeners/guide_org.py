"""The objects the guide's samples name (users, groups, stages, catalogs, fields),
set up in an org so that every sample can succeed."""

from __future__ import annotations

from crmdp.orgs.models import CatalogKind, FieldType, Org, Role
from crmdp.orgs.services import catalog_add, field_add, group_get_or_create, user_add

GUIDE_USERS = [
    ("huy.nguyen@htklabs.com", Role.MEMBER, ["Nhom test"]),
    ("luyt.ngo@htklabs.com", Role.MEMBER, ["Nhom 1"]),
    ("viethuy110@gmail.com", Role.ADMIN, []),
    ("nhanvien1@beeiq.co", Role.MEMBER, ["Nhom 1"]),
    ("nhanvien2@beeiq.co", Role.MEMBER, ["Nhom 2", "Phong Kinh Doanh"]),
]


def set_up_guide_org(org: Org) -> None:
    for email, role, groups in GUIDE_USERS:
        user_add(org=org, email=email, role=role, groups=groups)
    group_get_or_create(org, "Nhom test")
    for stage in ("New", "Qualified", "Won"):
        catalog_add(org=org, kind=CatalogKind.STAGE, name=stage)
    catalog_add(org=org, kind=CatalogKind.CATEGORY, name="UI Design")
    catalog_add(org=org, kind=CatalogKind.PACKAGE, name="Goi A")
    catalog_add(
        org=org,
        kind=CatalogKind.SLA,
        name="custom",
        first_response_minutes=60,
        resolution_minutes=1440,
    )
    field_add(org=org, record_type="contact", name="Referred By", field_type=FieldType.TEXT)
    field_add(org=org, record_type="lead", name="Referred By", field_type=FieldType.TEXT)
    field_add(org=org, record_type="deal", name="Booking source", field_type=FieldType.TEXT)
