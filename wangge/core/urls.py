"""Pages of the kernel: sign-in and accounts, the audit trail, the working-day calendar."""

from .views import accounts, audit, calendar

urlpatterns = [*accounts.urlpatterns, *audit.urlpatterns, *calendar.urlpatterns]
