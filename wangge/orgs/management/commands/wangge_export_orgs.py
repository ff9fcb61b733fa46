"""Export org units and grids as a GeoJSON FeatureCollection (the import format)."""

from django.core.management.base import BaseCommand

from wangge.orgs.geojson_io import org_tree_export, write_feature_collection
from wangge.orgs.permissions import system_actor


class Command(BaseCommand):
    help = "Export active org units (all, or one subtree) as GeoJSON."

    def add_arguments(self, parser):
        parser.add_argument("--root", help="code of the unit whose subtree to export")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        collection = org_tree_export(actor=system_actor(), root_code=options["root"])
        text = write_feature_collection(collection, options["output"])
        if options["output"]:
            self.stderr.write(f"{len(collection['features'])} units → {options['output']}")
        else:
            self.stdout.write(text, ending="")
