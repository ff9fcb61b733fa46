"""Person list exports as background jobs: requested on a page or through the API, written by
the worker (`manage.py wangge_run_jobs --loop`), downloaded by the requester only.

States (ExportJob.state): queued → running → done | failed; done → expired after
WANGGE_EXPORT_KEEP_HOURS, when the file is deleted. A request never builds the file: it checks
the filters, the rights and the throttle, records the job and answers at once; the page polls
the job's progress (rows written of the total counted at request time).

Throttle, per user: one export queued or running at a time, and at most WANGGE_EXPORT_RATE
requests (django-ratelimit on the shared cache). An unmasked export (full ID numbers and phones)
further needs `registry.export_unmasked`, a reason and a fresh authentication; the worker checks
the permission again as it starts, as the requester, within the requester's scope of that
moment. Audited: the request (or its refusal), the completion with the row count, each download.

The file holds personal data: it is stored encrypted (AES-GCM, core.crypto) with mode 0600 under
VAR_DIR/exports/; xlsxwriter's temporary row files are kept in the same folder while writing.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.crypto import DecryptionError, decrypt, encrypt
from wangge.core.errors import (
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
    WanggeError,
)
from wangge.core.models import AuditResult
from wangge.core.ratelimits import user_rate_limit
from wangge.orgs.actors import actor_for

from .enums import ExportState
from .export import dated_name, person_list_workbook
from .models import ExportJob
from .permissions import audit_register, has_register_permission
from .person_list import person_list_count
from .privacy import confirm_fresh_authentication, refusal_result

logger = logging.getLogger(__name__)

LIST_FILTERS = ("grid", "building", "tag", "age_min", "age_max", "residence_status")
FILE_AAD = "registry.export_file"
ACTIVE = (ExportState.QUEUED, ExportState.RUNNING)
# A running job not finished after this long was interrupted (the worker restarted).
STALE_AFTER = timedelta(minutes=30)


def export_rate() -> str:
    return settings.WANGGE_EXPORT_RATE


def keep_for() -> timedelta:
    return timedelta(hours=settings.WANGGE_EXPORT_KEEP_HOURS)


def _storage() -> Path:
    folder = Path(settings.VAR_DIR) / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _not_found(job_id) -> NotFound:
    return NotFound(
        _("Export not found."),
        field="id",
        detail={"object_type": "registry.export_job", "object_id": str(job_id or "")},
    )


def clean_filters(raw: dict) -> dict:
    """The list filters only, as text; empty ones dropped."""
    return {
        key: str(raw[key]).strip()
        for key in LIST_FILTERS
        if raw.get(key) not in (None, "") and str(raw[key]).strip()
    }


# --- selectors -----------------------------------------------------------------------------


def export_job_get(*, actor, job_id: int) -> ExportJob:
    """A job the actor requested; anyone else's (or none) is NotFound."""
    user = getattr(actor, "user", None)
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or user is None or job.requested_by_id != user.pk:
        raise _not_found(job_id)
    return job


def export_job_list(*, actor, limit: int = 10) -> list[ExportJob]:
    user = getattr(actor, "user", None)
    if user is None:
        return []
    return list(ExportJob.objects.filter(requested_by=user)[:limit])


def export_job_percent(job: ExportJob) -> int:
    if job.state == ExportState.DONE:
        return 100
    if not job.total_rows:
        return 0
    return min(99, job.processed_rows * 100 // job.total_rows)


# --- services ------------------------------------------------------------------------------


def export_job_request(
    *,
    actor,
    request,
    filters: dict,
    unmasked: bool = False,
    reason: str = "",
    password: str = "",
    code: str | None = None,
) -> ExportJob:
    """Queue an export of the actor's filtered person list. Not one transaction: the audit row
    of a refused request must stay."""
    user = getattr(actor, "user", None)
    if user is None or getattr(actor, "is_resident", False):
        raise _not_found("")
    filters = clean_filters(filters)
    reason = (reason or "").strip()
    total = person_list_count(actor=actor, filters=filters)  # bad filters fail here, named
    base = {"unmasked": unmasked, "filters": sorted(filters)}
    try:
        if unmasked:
            if not has_register_permission(actor, "export_unmasked"):
                raise PermissionDenied(
                    _("You may not export full ID numbers and phones."),
                    code="not_allowed",
                    field="unmasked",
                )
            if len(reason) < 4:
                raise ValidationFailed(
                    _("State the reason for an unmasked export (at least 4 characters)."),
                    code="required",
                    field="reason",
                )
            confirm_fresh_authentication(actor=actor, request=request, password=password, code=code)
        if ExportJob.objects.filter(requested_by=user, state__in=ACTIVE).exists():
            raise RateLimited(
                _("Your previous export is still being written; wait until it is ready."),
                code="export_in_progress",
                retry_after=30,
            )
        user_rate_limit(
            group="registry.person_export",
            user_id=user.pk,
            rate=export_rate(),
            message=_("Too many exports requested; try again later."),
        )
    except (ValidationFailed, PermissionDenied, RateLimited) as exc:
        audit_register(
            actor,
            "registry.person_export_request",
            object_type="export_job",
            object_id="",
            detail={**base, "refused": exc.code},
            result=refusal_result(exc),
        )
        exc.audited = True
        raise
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            filters=filters,
            unmasked=unmasked,
            reason=reason[:200] if unmasked else "",
            total_rows=total,
        )
        audit_register(
            actor,
            "registry.person_export_request",
            object_type="export_job",
            object_id=job.pk,
            detail={**base, "reason": job.reason, "total": total},
        )
    return job


def _finish(job: ExportJob, state: str, **fields) -> None:
    ExportJob.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)


def _claim(job: ExportJob) -> bool:
    """Take a queued job for this worker; False when another worker took it first."""
    return bool(
        ExportJob.objects.filter(pk=job.pk, state=ExportState.QUEUED).update(
            state=ExportState.RUNNING, started_at=timezone.now(), processed_rows=0
        )
    )


def export_job_run(job: ExportJob) -> ExportJob:
    """Write one claimed job's workbook as its requester (the worker's part)."""
    actor = actor_for(job.requested_by)
    detail = {"job": job.pk, "unmasked": job.unmasked, "filters": sorted(job.filters)}
    try:
        if actor.user is None:
            raise PermissionDenied(_("The account that asked for this export is disabled."))
        if job.unmasked and not has_register_permission(actor, "export_unmasked"):
            raise PermissionDenied(_("You may not export full ID numbers and phones."))
        buffer = io.BytesIO()
        rows = person_list_workbook(
            actor=actor,
            filters=job.filters,
            target=buffer,
            unmasked=job.unmasked,
            tmpdir=str(_storage()),
            progress=lambda done: ExportJob.objects.filter(pk=job.pk).update(processed_rows=done),
        )
        name = _store(buffer.getvalue())
    except WanggeError as exc:
        _finish(job, ExportState.FAILED)
        audit_register(
            actor,
            "registry.person_export",
            object_type="export_job",
            object_id=job.pk,
            detail={**detail, "refused": exc.code},
            result=AuditResult.FAILED,
        )
        job.refresh_from_db()
        return job
    now = timezone.now()
    _finish(
        job,
        ExportState.DONE,
        stored_file=name,
        file_name=dated_name("persons"),
        processed_rows=rows,
        total_rows=rows,
        expires_at=now + keep_for(),
    )
    audit_register(
        actor,
        "registry.person_export",
        object_type="export_job",
        object_id=job.pk,
        detail={**detail, "reason": job.reason, "rows": rows},
    )
    job.refresh_from_db()
    return job


def _store(content: bytes) -> str:
    name = f"{secrets.token_hex(16)}.bin"
    path = _storage() / name
    # Created 0600 from the start: the file must never be readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        # core.crypto encrypts text; latin-1 maps every byte to one character and back.
        handle.write(encrypt(content.decode("latin-1"), aad=FILE_AAD))
    return name


def export_job_file(*, actor, job_id: int) -> tuple[bytes, str]:
    """The finished workbook and its file name, for the requester only; audited."""
    job = export_job_get(actor=actor, job_id=job_id)
    if job.state == ExportState.EXPIRED or (
        job.state == ExportState.DONE and job.expires_at and job.expires_at <= timezone.now()
    ):
        raise ValidationFailed(
            _("This export has expired; request it again."), code="expired", field="id"
        )
    path = _storage() / job.stored_file
    if job.state != ExportState.DONE or not job.stored_file or not path.exists():
        raise ValidationFailed(_("This export is not ready yet."), code="not_ready", field="id")
    try:
        content = decrypt(path.read_bytes(), aad=FILE_AAD).encode("latin-1")
    except DecryptionError as exc:
        raise ValidationFailed(
            _("This export can no longer be read; request it again."), code="expired", field="id"
        ) from exc
    audit_register(
        actor,
        "registry.person_export_download",
        object_type="export_job",
        object_id=job.pk,
        detail={"rows": job.processed_rows, "unmasked": job.unmasked},
    )
    return content, job.file_name


def export_jobs_expire() -> int:
    """Delete the files of jobs past their time (and of failed ones); returns how many."""
    now = timezone.now()
    due = ExportJob.objects.filter(state=ExportState.DONE, expires_at__lte=now)
    count = 0
    for job in due:
        if job.stored_file:
            (_storage() / job.stored_file).unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(state=ExportState.EXPIRED, stored_file="")
        count += 1
    return count


def export_jobs_run_pending(*, limit: int | None = None) -> int:
    """The worker's step: write queued jobs oldest first (a job that a restart interrupted is
    queued again after STALE_AFTER), then expire old files."""
    ExportJob.objects.filter(
        state=ExportState.RUNNING, started_at__lt=timezone.now() - STALE_AFTER
    ).update(state=ExportState.QUEUED)
    pending = ExportJob.objects.filter(state=ExportState.QUEUED).order_by("created_at", "id")
    done = 0
    for job in pending[:limit] if limit else pending:
        if not _claim(job):
            continue
        try:
            export_job_run(job)
        except (OSError, DatabaseError, DecryptionError):
            # One broken job must not stop the worker: it is marked failed and logged.
            logger.exception("export job %s failed", job.pk)
            _finish(job, ExportState.FAILED)
        done += 1
    export_jobs_expire()
    return done
