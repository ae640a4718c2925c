from django.urls import path

from crmdp.api import views

urlpatterns = [
    path("openapi.json", views.openapi, name="openapi"),
    path("customers", views.customer_list, name="api-customers"),
    path("customers/<str:code>", views.customer_detail, name="api-customer"),
    path("customers/<str:code>/notes", views.customer_notes, name="api-customer-notes"),
    path("deals", views.deal_list, name="api-deals"),
    path("deals/<int:deal_id>", views.deal_detail, name="api-deal"),
    path("tickets/<str:code>", views.ticket_detail, name="api-ticket"),
    path("messages", views.message_list, name="api-messages"),
    path("listeners/<int:listener_id>/deliveries", views.delivery_list, name="api-deliveries"),
]
