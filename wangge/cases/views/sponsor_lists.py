"""The sponsor units' weekly issue lists: the lists, one list with an answer per item, and
its xlsx export. Out of scope is the 404 page; a refused answer re-renders with the message."""

import io

from django import forms
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.downloads import xlsx_download
from wangge.core.errors import PermissionDenied, ValidationFailed
from wangge.core.scope import request_actor
from wangge.core.spreadsheets import new_workbook, write_cells

from ..sponsor_list_selectors import sponsor_issue_list_get, sponsor_issue_lists
from ..sponsor_lists import sponsor_issue_answer


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"), max_length=2000, widget=forms.Textarea({"rows": 2})
    )


@staff_role_required()
@require_GET
def lists_page(request):
    rows = sponsor_issue_lists(actor=request_actor(request))
    return render(request, "cases/sponsor_lists.html", {"lists": rows})


def _list_page(request, list_id: int, *, failed: tuple[int, AnswerForm] | None = None, status=200):
    issue_list, items = sponsor_issue_list_get(actor=request_actor(request), list_id=list_id)
    rows = [
        {
            "item": item,
            "form": failed[1]
            if failed is not None and failed[0] == item.pk
            else AnswerForm(initial={"answer": item.answer}, auto_id=f"id_{item.pk}_%s"),
        }
        for item in items
    ]
    context = {"issue_list": issue_list, "rows": rows}
    return render(request, "cases/sponsor_list.html", context, status=status)


@staff_role_required()
@require_GET
def list_page(request, list_id: int):
    return _list_page(request, list_id)


@staff_role_required()
@require_POST
def answer(request, list_id: int, item_id: int):
    sponsor_issue_list_get(actor=request_actor(request), list_id=list_id)  # scope first
    form = AnswerForm(request.POST, auto_id=f"id_{item_id}_%s")
    if not form.is_valid():
        return _list_page(request, list_id, failed=(item_id, form), status=422)
    try:
        sponsor_issue_answer(
            actor=request_actor(request), item_id=item_id, answer=form.cleaned_data["answer"]
        )
    except (ValidationFailed, PermissionDenied) as exc:
        form.add_error("answer", str(exc.message))
        return _list_page(request, list_id, failed=(item_id, form), status=exc.status)
    return redirect("cases_sponsor_list", list_id)


@staff_role_required()
@require_GET
def export(request, list_id: int):
    issue_list, items = sponsor_issue_list_get(actor=request_actor(request), list_id=list_id)
    buffer = io.BytesIO()
    workbook = new_workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Issue list"))
    head = workbook.add_format({"bold": True})
    headers = [
        _("Case number"),
        _("Category"),
        _("Title"),
        _("Grid"),
        _("State"),
        _("Reported"),
        _("Answer"),
        _("Answered"),
    ]
    write_cells(sheet, 0, 0, headers, head)
    for row, item in enumerate(items, start=1):
        case = item.case
        write_cells(
            sheet,
            row,
            0,
            [
                case.number,
                case.category.name,
                case.title,
                case.grid.name if case.grid is not None else "",
                case.get_state_display(),
                case.reported_at.strftime("%Y-%m-%d %H:%M"),
                item.answer,
                item.answered_at.strftime("%Y-%m-%d %H:%M") if item.answered_at else "",
            ],
        )
    sheet.set_column(0, 0, 20)
    sheet.set_column(2, 2, 30)
    sheet.set_column(6, 6, 40)
    workbook.close()
    name = f"issue-list-{issue_list.sponsor_unit.code}-{issue_list.week_of}.xlsx"
    return xlsx_download(buffer.getvalue(), name)


urlpatterns = [
    path("sponsor-lists/", lists_page, name="cases_sponsor_lists"),
    path("sponsor-lists/<int:list_id>/", list_page, name="cases_sponsor_list"),
    path("sponsor-lists/<int:list_id>/xlsx/", export, name="cases_sponsor_list_xlsx"),
    path(
        "sponsor-lists/<int:list_id>/items/<int:item_id>/answer/",
        answer,
        name="cases_sponsor_answer",
    ),
]
