"""A separate process for tests/test_backup.py: a small street that keeps reporting cases.

    python tests/backup_street.py seed          # the cache table, the street, a category and
                                                # 5 cases with photos
    python tests/backup_street.py write STOP    # report a case with a photo every few ms until
                                                # the file STOP exists; prints each committed id

Run with DJANGO_SETTINGS_MODULE and the database of the test's choice in the environment.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def report_one(reporter) -> int:
    from wangge.cases.attachments import photos_stored
    from wangge.cases.tests.factories import report
    from wangge.cases.tests.photos import upload

    with photos_stored([upload()]) as keys:
        return report(reporter, source="grid_worker", photos=keys).pk


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from wangge.cases.tests.factories import category, crew
    from wangge.core.models import User
    from wangge.orgs.actors import actor_for

    if sys.argv[1] == "seed":
        call_command("createcachetable")
        reporter = crew().grid_worker
        category()
        for _ in range(5):
            report_one(reporter)
        return
    stop = Path(sys.argv[2])
    reporter = actor_for(User.objects.get(username="gw_a1"))
    while not stop.exists():
        print(report_one(reporter), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    main()
