"""Import jobs: upload → check (preview with counts and errors) → commit, in one transaction.

States (ImportJob.state): uploaded → validating → validated | invalid; validated → committing →
done | invalid (the register changed since the check) | failed (an unexpected error).

Small files (≤ INLINE_ROWS data rows) are checked on upload and committed on request, inside
the request. Larger ones are only queued by the request: the `wangge_run_imports` management
command picks up jobs in `uploaded` (to check) and `committing` (to commit) and records progress
in `processed_rows`, which the job page polls. Production runs that command as a long-lived
worker beside the web servers, e.g. a systemd service `python manage.py wangge_run_imports
--loop` (restarted on failure), or from cron every minute without `--loop`; a job that was
interrupted is simply picked up again (the commit is one transaction, so nothing is half-done).
Progress is live while a file is checked; during the commit it is not (its writes, progress
included, stay invisible until the one transaction commits), so the page shows "Importing".

The uploaded file holds personal data in clear, so it is stored encrypted (AES-GCM, core.crypto)
under VAR_DIR/imports/ and deleted once the job is done.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.crypto import decrypt, encrypt
from wangge.core.errors import NotFound, RateLimited, ValidationFailed
from wangge.core.files import private_dir, private_write
from wangge.core.scope import path_in_scope
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit
from wangge.registry import rollups
from wangge.registry.enums import ImportKind, ImportState
from wangge.registry.models import ImportJob, Person
from wangge.registry.permissions import audit_register

from .base import PREVIEW_ERRORS, Importer, Outcome, run_import
from .organisations import OrganisationImporter
from .persons import PersonImporter
from .places import BuildingImporter, DwellingImporter, HouseholdImporter
from .reader import XLSX_SUFFIXES, count_rows, file_error, open_table, suffix_of

logger = logging.getLogger(__name__)

IMPORT_ROLES = (Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.ADMIN)
INLINE_ROWS = 5000
ROLLUP_ALL_ABOVE = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024
FILE_AAD = "registry.import_file"
IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.PERSONS: PersonImporter,
    ImportKind.HOUSEHOLDS: HouseholdImporter,
    ImportKind.DWELLINGS: DwellingImporter,
    ImportKind.BUILDINGS: BuildingImporter,
    ImportKind.ORGANISATIONS: OrganisationImporter,
}


class _Rollback(Exception):
    """Raised inside the commit's transaction when any row fails, to undo every write."""


def _not_found(job_id=None) -> NotFound:
    return NotFound(
        _("Import not found."),
        field="id",
        detail={"object_type": "registry.import_job", "object_id": str(job_id or "")},
    )


def import_paths(actor) -> tuple[str, ...]:
    """The subtrees the actor may import into: their units as community staff, grid leader or
    admin. The system actor (commands, the demo) imports anywhere."""
    if getattr(actor, "is_system", False):
        return ("/",)
    return actor.paths(*IMPORT_ROLES)


def can_import(actor) -> bool:
    return bool(import_paths(actor))


def _storage() -> Path:
    return private_dir(Path(settings.VAR_DIR) / "imports")


def _store(content: bytes) -> str:
    name = f"{secrets.token_hex(16)}.bin"
    private_write(_storage() / name, encrypt_file(content))
    return name


def encrypt_file(content: bytes) -> bytes:
    # core.crypto encrypts text; latin-1 maps every byte to one character and back.
    return encrypt(content.decode("latin-1"), aad=FILE_AAD)


def job_content(job: ImportJob) -> bytes:
    path = _storage() / job.stored_file
    if not job.stored_file or not path.exists():
        raise ValidationFailed(_("The uploaded file is no longer kept."), code="file_gone")
    return decrypt(path.read_bytes(), aad=FILE_AAD).encode("latin-1")


def job_errors(job: ImportJob) -> list[dict]:
    if not job.errors_file:
        return []
    path = _storage() / job.errors_file
    if not path.exists():
        return list(job.summary.get("errors", []))
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


# --- selectors -----------------------------------------------------------------------------


def import_job_get(*, actor, job_id: int) -> ImportJob:
    """A job the actor uploaded, while they may still import into its unit; else NotFound."""
    job = ImportJob.objects.select_related("org_unit").filter(pk=job_id).first()
    user = getattr(actor, "user", None)
    if (
        job is None
        or user is None
        or job.uploaded_by_id != user.pk
        or not path_in_scope(job.org_unit.path, import_paths(actor))
    ):
        raise _not_found(job_id)
    return job


def import_job_list(*, actor, limit: int = 10) -> list[ImportJob]:
    user = getattr(actor, "user", None)
    if user is None or not can_import(actor):
        return []
    return list(ImportJob.objects.filter(uploaded_by=user).select_related("org_unit")[:limit])


# --- services ------------------------------------------------------------------------------


def import_job_create(*, actor, kind: str, file_name: str, content: bytes) -> ImportJob:
    """Store the upload and check it at once when small; a large one waits for the worker."""
    paths = import_paths(actor)
    if not paths or getattr(actor, "user", None) is None:
        raise _not_found()
    if kind not in IMPORTERS:
        raise ValidationFailed(_("Choose what the file holds."), code="invalid_kind", field="kind")
    if suffix_of(file_name) not in ("csv", *XLSX_SUFFIXES):
        raise file_error(_("Upload a .csv or .xlsx file."))
    if len(content) > MAX_FILE_BYTES:
        raise file_error(_("The file is larger than 200 MB; split it into several files."))
    unit = OrgUnit.objects.filter(path=paths[0]).first()
    if unit is None:
        raise _not_found()
    job = ImportJob.objects.create(
        kind=kind,
        file_name=Path(file_name).name[:255],
        stored_file=_store(content),
        uploaded_by=actor.user,
        org_unit=unit,
        total_rows=count_rows(file_name, content),
    )
    if job.total_rows <= INLINE_ROWS:
        import_job_validate(actor=actor, job=job, content=content)
    return job


def _importer(job: ImportJob, actor, positions, *, write: bool) -> Importer:
    return IMPORTERS[job.kind](
        actor=actor, scope_path=job.org_unit.path, positions=positions, write=write
    )


def _progress(job: ImportJob):
    def report(rows: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=rows)

    return report


def _save_errors(job: ImportJob, errors: list) -> None:
    if not errors:
        job.errors_file = ""
        return
    name = job.errors_file or f"{secrets.token_hex(16)}.errors.jsonl"
    lines = (json.dumps(error.as_dict(), ensure_ascii=False) + "\n" for error in errors)
    private_write(_storage() / name, "".join(lines))
    job.errors_file = name


def _finish_check(job: ImportJob, outcome: Outcome, state: str) -> None:
    _save_errors(job, outcome.errors)
    job.state = state
    job.processed_rows = outcome.processed
    job.total_rows = outcome.processed
    job.error_count = len(outcome.errors)
    job.summary = {
        **outcome.counts(),
        "preview": [error.as_dict() for error in outcome.errors[:PREVIEW_ERRORS]],
    }
    job.finished_at = timezone.now()
    job.save()


def _file_failure(job: ImportJob, exc: ValidationFailed | RateLimited) -> None:
    job.state = ImportState.INVALID
    job.error_count = 1
    job.summary = {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": 1,
        "file_error": str(exc.message),
        "preview": [{"row": 0, "column": "", "message": str(exc.message), "code": exc.code}],
    }
    job.finished_at = timezone.now()
    job.save()


def import_job_validate(*, actor, job: ImportJob, content: bytes | None = None) -> ImportJob:
    """Check every row against the register without writing; record counts and errors."""
    import_job_get(actor=actor, job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.VALIDATING, processed_rows=0)
    content = job_content(job) if content is None else content
    importer_class = IMPORTERS[job.kind]
    try:
        table = open_table(job.file_name, content, importer_class.columns)
        importer = _importer(job, actor, table.positions, write=False)
        outcome = run_import(importer, table, progress=_progress(job))
    except (ValidationFailed, RateLimited) as exc:
        # RateLimited: too many ID numbers registered elsewhere (id_probes.py); the check stops.
        _file_failure(job, exc)
        return job
    if outcome.processed == 0:
        _file_failure(job, file_error(_("The file has a header but no rows.")))
        return job
    _finish_check(job, outcome, ImportState.INVALID if outcome.errors else ImportState.VALIDATED)
    return job


def import_job_commit(*, actor, job_id: int, run_now: bool | None = None) -> ImportJob:
    """Write the checked file in one transaction (or queue it for the worker when large)."""
    job = import_job_get(actor=actor, job_id=job_id)
    if job.state not in (ImportState.VALIDATED, ImportState.COMMITTING):
        raise ValidationFailed(
            _("Only a checked file without errors can be imported."), code="invalid_state"
        )
    if run_now is None:
        run_now = job.total_rows <= INLINE_ROWS
    if not run_now:
        ImportJob.objects.filter(pk=job.pk).update(state=ImportState.COMMITTING, processed_rows=0)
        job.refresh_from_db()
        return job
    return _commit(actor, job)


def _commit(actor, job: ImportJob) -> ImportJob:
    content = job_content(job)
    importer_class = IMPORTERS[job.kind]
    job.state = ImportState.COMMITTING
    job.save(update_fields=["state"])
    try:
        with transaction.atomic():
            table = open_table(job.file_name, content, importer_class.columns)
            importer = _importer(job, actor, table.positions, write=True)
            outcome = run_import(importer, table)
            if outcome.errors:
                raise _Rollback
            counts = outcome.counts()
            audit_register(
                actor,
                "registry.import",
                object_type="import_job",
                object_id=job.pk,
                path=job.org_unit.path,
                detail={"kind": job.kind, **counts},
            )
            transaction.on_commit(lambda: refresh_rollups(outcome))
    except _Rollback:
        _finish_check(job, outcome, ImportState.INVALID)
        return job
    except (ValidationFailed, RateLimited) as exc:
        _file_failure(job, exc)
        return job
    _finish_check(job, outcome, ImportState.DONE)
    # The register now holds the data (encrypted); the clear upload is no longer needed.
    (_storage() / job.stored_file).unlink(missing_ok=True)
    return job


def refresh_rollups(outcome: Outcome) -> None:
    """Derived tags, then grid counts (which count the tags), after a commit.

    Derived tags depend on the household (an elder living alone stops being alone when a
    member is imported), so every member of a touched household is re-derived; past
    ROLLUP_ALL_ABOVE of them, everyone is, in one pass.
    """
    ids: set[int] = set(outcome.person_ids)
    everyone = len(outcome.household_ids) > ROLLUP_ALL_ABOVE // 5 or len(ids) > ROLLUP_ALL_ABOVE
    if outcome.household_ids and not everyone:
        members = Person.objects.filter(household_id__in=sorted(outcome.household_ids))
        ids.update(members.values_list("id", flat=True))
    if everyone:
        rollups.derived_tags_refresh(None)
    elif ids:
        rollups.derived_tags_refresh(sorted(ids))
    if outcome.grid_ids:
        rollups.grid_counts_refresh(sorted(outcome.grid_ids))


def import_jobs_run_pending(*, limit: int | None = None) -> int:
    """The worker's step: check uploaded jobs, commit queued ones, as their uploader."""
    from wangge.orgs.actors import actor_for

    done = 0
    pending = ImportJob.objects.filter(
        state__in=(ImportState.UPLOADED, ImportState.VALIDATING, ImportState.COMMITTING)
    ).order_by("created_at")
    for job in pending[:limit] if limit else pending:
        actor = actor_for(job.uploaded_by)
        try:
            if job.state == ImportState.COMMITTING:
                _commit(actor, job)
            else:
                import_job_validate(actor=actor, job=job)
        except NotFound:
            # The uploader lost the right to import there: the job stops, nothing is written.
            ImportJob.objects.filter(pk=job.pk).update(state=ImportState.FAILED)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(state=ImportState.FAILED)
        done += 1
    return done
