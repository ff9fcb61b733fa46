"""Resident portal pages under /portal/."""

from django.urls import path

from .views import follow, home, mine, report

urlpatterns = [
    path("", home.home_page, name="portal_home"),
    path("report/", report.report_page, name="portal_report"),
    path("report/done/", report.reported_page, name="portal_reported"),
    path("follow/", follow.follow_page, name="portal_follow"),
    path("mine/", mine.mine_page, name="portal_mine"),
    path("mine/<str:number>/", mine.my_case_page, name="portal_my_case"),
    path("mine/<str:number>/rate/", mine.rate_case, name="portal_rate"),
    path("mine/<str:number>/reopen/", mine.reopen_case, name="portal_reopen"),
]
