"""`manage.py wangge_demo`: load the demo street (or a scaled city) and print its accounts.

Idempotent: on a database that already holds the demo it writes nothing to the database and
just prints the accounts again (and rewrites the accounts file), in a fraction of a second. The
one exception: the Open311 client's key is issued again when it is missing or has expired.
"""

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core.errors import WanggeError
from wangge.core.scope import Actor
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit

from ...case_history import case_history_load, case_history_loaded
from ...generator import DEFAULT_SEED, generate_city
from ...loader import (
    demo_accounts,
    demo_load,
    demo_reset,
    demo_state,
    open311_client_ensure,
    resident_ensure,
)
from ...names import CITY

# (role, URL name, why start there): printed after the table.
FIRST_CLICKS = (
    (
        Role.GRID_WORKER,
        "orgs_map",
        gettext_lazy("the map: click a grid for its card"),
    ),
    (
        Role.ADMIN,
        "orgs_map_edit",
        gettext_lazy("the grid editor: draw, reshape, split and merge grids"),
    ),
    (
        Role.ADMIN,
        "users",
        gettext_lazy("users and roles; sign in with the password, then the TOTP code"),
    ),
    (Role.AUDITOR, "audit", gettext_lazy("the audit trail, including this load")),
    (Role.ADMIN, "calendar", gettext_lazy("the working-day calendar")),
    (Role.GRID_WORKER, "home", gettext_lazy("a grid worker's start page")),
    (
        Role.GRID_WORKER,
        "registry_search",
        gettext_lazy("find a resident by name, pinyin initials or the last digits of an ID"),
    ),
    (
        Role.COMMUNITY_STAFF,
        "registry_import",
        gettext_lazy("import residents from Excel; this account also sees sensitive tags"),
    ),
    (
        Role.COMMAND_CENTRE,
        "cases_queue",
        gettext_lazy("the case queues: dispatch or whistle the cases escalated to the street"),
    ),
    (Role.COMMAND_CENTRE, "cases_map", gettext_lazy("the case map, coloured by state and card")),
    (
        Role.COMMAND_CENTRE,
        "cases_stats",
        gettext_lazy("the statistics: indicators, charts and an Excel export"),
    ),
)


class Command(BaseCommand):
    help = "Load the demo street (or --scale N communities) with one account per role."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="random seed; the same seed gives the same city and passwords",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=None,
            help="build a city of N communities (~6 grids each) instead of one street",
        )
        parser.add_argument(
            "--accounts-file",
            default=str(Path(settings.VAR_DIR) / "demo-accounts.json"),
            help="where to write the accounts as JSON (default var/demo-accounts.json)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo city (the 眉山市 tree) first and load it again",
        )
        parser.add_argument(
            "--no-cases",
            action="store_true",
            help="skip the year of case history (a run without it adds the history later)",
        )

    def handle(
        self,
        *args,
        seed: int,
        scale: int | None,
        accounts_file: str,
        reset: bool,
        no_cases: bool = False,
        **options,
    ) -> None:
        if scale is not None and scale < 1:
            raise CommandError(_("--scale must be a positive number of communities."))
        started = time.perf_counter()
        actor = Actor.system()
        try:
            if reset:
                deleted = demo_reset(actor=actor)
                self.stdout.write(_("Deleted %(n)d demo units.") % {"n": deleted})
            state = demo_state()
            if state is None and OrgUnit.objects.filter(code=CITY[0]).exists():
                # Someone's own 眉山市 tree: loading would overwrite it, so ask for --reset.
                raise CommandError(
                    _(
                        "Org unit %(code)s exists but was not loaded by this command; run with "
                        "--reset to replace that tree with the demo city."
                    )
                    % {"code": CITY[0]}
                )
            if state is None:
                records = demo_load(actor=actor, seed=seed, scale=scale)
                self.stdout.write(
                    self.style.SUCCESS(
                        _("Loaded the demo city (seed %(seed)d) in %(s).1f s.")
                        % {"seed": seed, "s": time.perf_counter() - started}
                    )
                )
            else:
                if (state.seed, state.scale) != (seed, scale):
                    self.stdout.write(
                        self.style.WARNING(
                            _(
                                "The demo is already loaded with seed %(seed)s, scale %(scale)s; "
                                "showing those accounts. Use --reset to load another one."
                            )
                            % {"seed": state.seed, "scale": state.scale}
                        )
                    )
                else:
                    self.stdout.write(_("The demo is already loaded; nothing to do."))
                # Writes only when the client or its key is missing (a demo loaded before it).
                open311_client_ensure(actor=actor, seed=state.seed)
                resident_ensure(actor=actor, seed=state.seed)
                records = demo_accounts(seed=state.seed, scale=state.scale)
            if not no_cases and not case_history_loaded():
                # Writes only when the history is missing (a demo loaded with --no-cases).
                loaded = state or demo_state()
                if loaded is not None:
                    self.load_cases(actor, loaded.seed, loaded.scale)
        except WanggeError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        write_accounts(Path(accounts_file), records)
        self.print_accounts(records, accounts_file)

    def load_cases(self, actor, seed: int, scale: int | None) -> None:
        started = time.perf_counter()
        summary = case_history_load(
            actor=actor, collection=generate_city(seed=seed, scale=scale), seed=seed
        )
        self.stdout.write(
            _("Loaded a year of case history: %(n)d cases in %(s).1f s.")
            % {"n": summary["cases"], "s": time.perf_counter() - started}
        )

    def print_accounts(self, records: list[dict], accounts_file: str) -> None:
        featured = [
            r for r in records if r.get("username", "").startswith("demo_") and "password" in r
        ]
        clients = [r for r in records if "api_key" in r]
        residents = [r for r in records if r.get("role") == "resident"]
        names = dict(
            OrgUnit.objects.filter(code__in={r["org_unit_code"] for r in featured}).values_list(
                "code", "name"
            )
        )
        rows = [
            (
                str(Role(r["role"]).label),
                r["username"],
                r["password"],
                f"{names.get(r['org_unit_code'], '')} {r['org_unit_code']}",
                r.get("totp_secret", ""),
            )
            for r in featured
        ]
        rows += [(_("Open311 client"), r["username"], r["api_key"], "", "") for r in clients]
        rows += [
            (_("Resident (sign in by phone)"), r["phone"], r["password"], "", "") for r in residents
        ]
        header = (
            _("Role"),
            _("Username"),
            _("Password / API key"),
            _("Org unit"),
            _("TOTP secret"),
        )
        widths = [max(display_width(str(row[i])) for row in [header, *rows]) for i in range(5)]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(
                    pad(str(cell), width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        others = [
            r
            for r in records
            if "username" in r and not r["username"].startswith("demo_") and "password" in r
        ]
        if others:
            self.stdout.write(
                _("…and %(n)d more grid workers (one per grid, password %(pw)s).")
                % {"n": len(others), "pw": others[0]["password"]}
            )
        self.stdout.write(_("Accounts written to %(path)s.") % {"path": accounts_file})
        self.stdout.write(_("Where to click first (http://127.0.0.1:8000):"))
        for role, url_name, why in FIRST_CLICKS:
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            self.stdout.write(f"  demo_{role}  {url}  {why}")
        for record in records:
            if record.get("role") == "resident":
                self.stdout.write(
                    f"  {record['phone']}  {reverse('portal_home')}  "
                    + _("the resident portal: report with a photo and a pin, follow, rate")
                )
        self.stdout.write(f"  {_('API')}  /api/v1/docs")


def write_accounts(path: Path, records: list[dict]) -> None:
    """The accounts file holds passwords: readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(records, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that already existed


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))
