from django.contrib.admin.apps import AdminConfig


class FrgmAdminConfig(AdminConfig):
    # Kept apart from admin_site.py: an AppConfig module must not import models.
    default_site = "frgm_site.admin_site.FrgmAdminSite"

    def ready(self) -> None:
        super().ready()
        # The site's own system checks (frgm_site.checks) register on import; this
        # is the site package's one AppConfig.
        from frgm_site import checks  # noqa: F401
