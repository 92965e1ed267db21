from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import health, media, views

admin.site.site_header = f"{settings.SITE_NAME} — builders"
admin.site.site_title = settings.SITE_NAME
# The admin signs people in through allauth's login, so two-factor codes and its rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("podcast/", include("community.podcasts.urls")),
    path("workshops/", include("community.workshops.urls")),
    path("chats/", include("community.chats.urls")),
    path("calendar/", include("community.calendar.urls")),
    path("reports/", include("community.reports.urls")),
    path("mentorship/", include("mentorship.urls")),
    path("workflows/", include("workflows.urls")),
    path("", include("community.notifications.urls")),
    path("", include("community.members.urls")),
]

if settings.MEDIA_STORAGE == "filesystem":
    # Uploaded audio is served by the site with DEBUG on or off, with byte ranges for podcast apps.
    urlpatterns.append(path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media.serve_media, name="media"))
