from django.contrib.admin.apps import AdminConfig


class FrgmAdminConfig(AdminConfig):
    # Kept apart from admin_site.py: an AppConfig module must not import models.
    default_site = "frgm_site.admin_site.FrgmAdminSite"
