from django.urls import include, path

from crmdp.listeners.hosted import hosted_form
from crmdp.listeners.views import listener_inbound
from crmdp.web.health import healthz, readyz

urlpatterns = [
    path("listener/<str:token>", listener_inbound, name="listener-inbound"),
    path("f/<str:token>", hosted_form, name="hosted-form"),
    path("api/v1/", include("crmdp.api.urls")),
    # Answered first by crmdp.web.health.ProbeMiddleware; routed here too so that
    # other methods get their 405.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("crmdp.web.urls")),
]

handler400 = "crmdp.api.errors.bad_request"
handler404 = "crmdp.api.errors.page_not_found"
handler500 = "crmdp.api.errors.server_error"
