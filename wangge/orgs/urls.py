from django.urls import path

from .views import duty, maps, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("map/", maps.map_page, name="orgs_map"),
    path("map/edit/", maps.map_editor, name="orgs_map_edit"),
    path("grids/<str:code>/", pages.grid_card_page, name="orgs_grid_card"),
    path("duty/", duty.duty_page, name="orgs_duty"),
]
