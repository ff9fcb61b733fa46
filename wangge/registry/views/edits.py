"""Edit pages of the register, for grid workers on a phone: a person's facts, a new member of a
household, a move-out, key-population tags, a new dwelling and a new household.

Each view reads the record through its selector (out of scope: NotFound, the 404 page), refuses
a reader who may not write with PermissionDenied (the 403 page, audited by the middleware),
parses the form and makes one service call. A refused input re-renders the form with the
service's message beside the field it names (422; a stale version 409) and nothing is written.
"""

from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.errors import Conflict, PermissionDenied, ValidationFailed, WanggeError
from wangge.core.scope import path_in_scope, request_actor

from .. import forms
from ..id_probes import TransferRequired
from ..permissions import record_not_found, write_paths
from ..person_list import key_population_tags
from ..place_services import dwelling_create, household_create
from ..selectors import building_get, household_get, person_get
from ..services import person_create, person_move_out, person_tag_add, person_tag_end, person_update

GET_POST = require_http_methods(["GET", "POST"])


def can_edit(actor, record: dict) -> bool:
    """Whether the actor keeps the register where this record lies (the pages' edit links)."""
    return path_in_scope(record["path"], write_paths(actor))


def _require_edit(actor, record: dict, object_type: str) -> None:
    """A reader (a clerk, an auditor) sees the record but gets 403 on its edit pages."""
    if not can_edit(actor, record):
        raise PermissionDenied(
            _(
                "Only grid workers, grid leaders, community staff and admins may change the "
                "register."
            ),
            field="id",
            detail={"object_type": f"registry.{object_type}", "object_id": str(record["id"])},
        )


def _form_page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    context["conflict"] = status == Conflict.status
    response = render(request, template, context, status=status)
    # What was typed (an ID number, a phone) may come back in a refused form: never cache it.
    response["Cache-Control"] = "no-store"
    return response


def _submit(
    form, write: Callable[[dict], HttpResponse]
) -> tuple[HttpResponse | None, int, WanggeError | None]:
    """The one flow of every edit form: a valid form makes its one service call in `write`,
    which answers the redirect after it; an invalid form is 422; a refusal is shown beside the
    field it names, with the service's status (422, a stale version 409), and nothing is written.
    Returns (the redirect or None, the status, the refusal or None)."""
    if not form.is_valid():
        return None, 422, None
    try:
        return write(form.cleaned_data), 200, None
    except (ValidationFailed, Conflict) as exc:
        forms.show_refusal(form, exc)
        return None, exc.status, exc


def _masked(person: dict) -> dict[str, str]:
    return {
        "id_number": person["id_number_masked"],
        "phone": person["phone_masked"],
        "registered_address": person["registered_address_masked"],
    }


# --- a person ---------------------------------------------------------------------------------


@staff_role_required()
@GET_POST
def person_edit(request, person_id: int):
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id)
    _require_edit(actor, person, "person")
    status = 200
    if request.method == "POST":
        form = forms.PersonEditForm(request.POST, masked=_masked(person))

        def write(data: dict) -> HttpResponse:
            person_update(
                actor=actor, person_id=person_id, version=data["version"], data=form.changes()
            )
            return redirect("registry_person", person_id)

        done, status, _refusal = _submit(form, write)
        if done is not None:
            return done
    else:
        form = forms.PersonEditForm(
            masked=_masked(person),
            initial={
                "version": person["version"],
                **{
                    key: person[key]
                    for key in ("name", "ethnicity", "residence_status", "party_member", "employer")
                },
            },
        )
    return _form_page(
        request, "registry/edit_person.html", {"person": person, "form": form}, status
    )


@staff_role_required()
@GET_POST
def household_person_add(request, household_id: int):
    actor = request_actor(request)
    household = household_get(actor=actor, household_id=household_id)
    _require_edit(actor, household, "household")
    status = 200
    transfer_form = None
    if request.method == "POST":
        form = forms.PersonAddForm(request.POST)

        def write(data: dict) -> HttpResponse:
            person = person_create(actor=actor, data=form.person_data(), household_id=household_id)
            return redirect("registry_person", person.id)

        done, status, refusal = _submit(form, write)
        if done is not None:
            return done
        if isinstance(refusal, TransferRequired):
            # Offer the transfer request with what was typed (in the body, not a URL).
            transfer_form = forms.TransferRequestForm(
                initial={
                    "id_number": form.cleaned_data.get("id_number", ""),
                    "relationship": form.cleaned_data.get("relationship", ""),
                    "household": household_id,
                }
            )
    else:
        form = forms.PersonAddForm(initial={"move_in_date": forms.today()})
    return _form_page(
        request,
        "registry/edit_person_add.html",
        {"household": household, "form": form, "transfer_form": transfer_form},
        status,
    )


@staff_role_required()
@GET_POST
def person_move_out_view(request, person_id: int):
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id)
    _require_edit(actor, person, "person")
    status = 200
    if request.method == "POST":
        form = forms.MoveOutForm(request.POST)

        def write(data: dict) -> HttpResponse:
            person_move_out(
                actor=actor,
                person_id=person_id,
                version=data["version"],
                moved_out_on=data["move_out_date"],
                note=data["note"],
            )
            return redirect("registry_person", person_id)

        done, status, _refusal = _submit(form, write)
        if done is not None:
            return done
    else:
        form = forms.MoveOutForm(
            initial={"version": person["version"], "move_out_date": forms.today()}
        )
    return _form_page(
        request, "registry/edit_move_out.html", {"person": person, "form": form}, status
    )


# --- key-population tags ----------------------------------------------------------------------


def _tags_page(request, actor, person: dict, *, failed=None, status: int = 200) -> HttpResponse:
    """The person's open tags (each with an end form) and the tags that may be added (each
    with its own form, so the grade appears only for a tag that has one). `failed` is the
    bound form that a service refused; it replaces the blank form of its tag."""
    failed_tag = failed.data.get("tag") if failed is not None else None
    failed_end = isinstance(failed, forms.TagEndForm)
    held = {tag["code"] for tag in person["tags"] if tag["valid_to"] is None}
    open_tags = []
    for tag in person["tags"]:
        if tag["valid_to"] is not None:
            continue
        form = (
            failed
            if failed_end and failed_tag == tag["code"]
            else forms.TagEndForm(
                initial={"tag": tag["code"], "valid_to": forms.today()},
                auto_id=f"id_end_{tag['code']}_%s",
            )
        )
        open_tags.append({**tag, "form": form, "open": form is failed})
    addable = []
    for tag in key_population_tags(actor=actor):
        if tag["derived"] or tag["code"] in held:
            continue
        form = (
            failed
            if not failed_end and failed is not None and failed_tag == tag["code"]
            else forms.TagAddForm(
                initial={"tag": tag["code"], "valid_from": forms.today()},
                auto_id=f"id_add_{tag['code']}_%s",
            )
        )
        addable.append({**tag, "form": form, "open": form is failed})
    context = {"person": person, "open_tags": open_tags, "addable": addable, "failed": failed}
    return _form_page(request, "registry/edit_tags.html", context, status)


@staff_role_required()
@GET_POST
def person_tag_add_view(request, person_id: int):
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id)
    _require_edit(actor, person, "person")
    if request.method == "GET":
        return _tags_page(request, actor, person)
    code = request.POST.get("tag", "")
    form = forms.TagAddForm(request.POST, auto_id=f"id_add_{code}_%s")

    def write(data: dict) -> HttpResponse:
        person_tag_add(
            actor=actor,
            person_id=person_id,
            tag_code=data["tag"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            grade=data["grade"],
            note=data["note"],
        )
        return redirect("registry_person", person_id)

    done, status, _refusal = _submit(form, write)
    return done or _tags_page(request, actor, person, failed=form, status=status)


@staff_role_required()
@require_POST
def person_tag_end_view(request, person_id: int):
    """POST only, the tag in the body: a sensitive tag next to a person id stays out of URLs."""
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id)
    _require_edit(actor, person, "person")
    code = request.POST.get("tag", "")
    form = forms.TagEndForm(request.POST, auto_id=f"id_end_{code}_%s")

    def write(data: dict) -> HttpResponse:
        person_tag_end(
            actor=actor, person_id=person_id, tag_code=data["tag"], valid_to=data["valid_to"]
        )
        return redirect("registry_person", person_id)

    done, status, _refusal = _submit(form, write)
    return done or _tags_page(request, actor, person, failed=form, status=status)


# --- places -----------------------------------------------------------------------------------


@staff_role_required()
@GET_POST
def dwelling_add(request, building_id: int):
    actor = request_actor(request)
    building = building_get(actor=actor, building_id=building_id)
    _require_edit(actor, building, "building")
    status = 200
    if request.method == "POST":
        form = forms.DwellingAddForm(request.POST)

        def write(data: dict) -> HttpResponse:
            dwelling_create(actor=actor, building_id=building_id, data=data)
            return redirect("registry_building", building_id)

        done, status, _refusal = _submit(form, write)
        if done is not None:
            return done
    else:
        form = forms.DwellingAddForm()
    return _form_page(
        request, "registry/edit_dwelling_add.html", {"building": building, "form": form}, status
    )


@staff_role_required()
@GET_POST
def household_add(request, building_id: int, dwelling_id: int):
    """A household in a dwelling; the dwelling is looked up among its building's (in scope)."""
    actor = request_actor(request)
    building = building_get(actor=actor, building_id=building_id)
    dwelling = next((d for d in building["dwellings"] if d["id"] == dwelling_id), None)
    if dwelling is None:
        raise record_not_found("dwelling", dwelling_id)
    _require_edit(actor, building, "dwelling")
    status = 200
    if request.method == "POST":
        form = forms.HouseholdAddForm(request.POST)

        def write(data: dict) -> HttpResponse:
            household = household_create(
                actor=actor, dwelling_id=dwelling_id, number=data["number"]
            )
            return redirect("registry_household", household.id)

        done, status, _refusal = _submit(form, write)
        if done is not None:
            return done
    else:
        form = forms.HouseholdAddForm()
    context = {"building": building, "dwelling": dwelling, "form": form}
    return _form_page(request, "registry/edit_household_add.html", context, status)


urlpatterns: list[URLPattern] = [
    path("persons/<int:person_id>/edit/", person_edit, name="registry_person_edit"),
    path(
        "persons/<int:person_id>/move-out/", person_move_out_view, name="registry_person_move_out"
    ),
    path("persons/<int:person_id>/tags/", person_tag_add_view, name="registry_person_tag_add"),
    path("persons/<int:person_id>/tags/end/", person_tag_end_view, name="registry_person_tag_end"),
    path(
        "households/<int:household_id>/persons/add/",
        household_person_add,
        name="registry_household_person_add",
    ),
    path("buildings/<int:building_id>/dwellings/add/", dwelling_add, name="registry_dwelling_add"),
    path(
        "buildings/<int:building_id>/dwellings/<int:dwelling_id>/households/add/",
        household_add,
        name="registry_household_add",
    ),
]
