"""Import org units and grids from a GeoJSON FeatureCollection (all or nothing)."""

import json

from django.core.management.base import BaseCommand, CommandError

from wangge.core.errors import ValidationFailed
from wangge.orgs.geojson_io import read_feature_collection
from wangge.orgs.permissions import system_actor
from wangge.orgs.services import org_tree_import


class Command(BaseCommand):
    help = "Import org units and grids from a GeoJSON file; on any error nothing is written."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="GeoJSON FeatureCollection (see wangge/orgs/geojson_io.py)"
        )

    def handle(self, *args, **options):
        try:
            collection = read_feature_collection(options["file"])
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from exc
        try:
            summary = org_tree_import(actor=system_actor(), feature_collection=collection)
        except ValidationFailed as exc:
            for error in exc.detail.get("errors", []):
                place = f" at {error['where']}" if error.get("where") else ""
                self.stderr.write(f"{error['feature']}\t{error['code']}\t{error['message']}{place}")
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"created {summary['created']}, updated {summary['updated']}, "
            f"unchanged {summary['unchanged']}"
        )
