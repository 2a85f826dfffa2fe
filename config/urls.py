from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import asyncapi, calendar, health
from config.converters import DeviceToken, Id
from dashboard import views as dashboard_views
from dashboard.forms import AdminSignInForm

register_converter(Id, "id")
register_converter(DeviceToken, "device_token")
# Every password goes through accounts.sign_in, the admin's too.
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("api/v1/", include("api.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/asyncapi.json", asyncapi.asyncapi, name="asyncapi"),
    path("calendar/<str:secret>.ics", calendar.CalendarFeed.as_view(), name="calendar-feed"),
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    path("admin/login/", dashboard_views.admin_sign_in),
    path("admin/", admin.site.urls),
    path("favicon.ico", dashboard_views.favicon),
    path("coach/", include("dashboard.urls")),
]

handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.not_found"
handler500 = "api.errors.server_error"
