from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged into another case")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    HANDLED = "handled", _("Handled")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", pgettext_lazy("case state", "Closed")
    RATED = "rated", _("Rated")


# States in which the case is finished for its handlers (a reopen starts it again).
FINAL_STATES = (CaseState.REJECTED, CaseState.MERGED, CaseState.CLOSED, CaseState.RATED)


class CaseSource(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker on site")
    RESIDENT = "resident", _("Resident")
    WINDOW = "window", _("Service window")
    HOTLINE = "hotline", _("Hotline (12345)")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")


class HandlingLevel(models.TextChoices):
    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DEPARTMENT = "department", _("Department")


class Card(models.TextChoices):
    NONE = "", pgettext_lazy("card", "None")
    YELLOW = "yellow", _("Yellow card")
    RED = "red", _("Red card")


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("Component (public facility)")
    MATTER = "matter", _("Matter (city management)")
    SOCIAL = "social", _("Social governance")


class Rating(models.IntegerChoices):
    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    NEUTRAL = 3, _("Neutral")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")
