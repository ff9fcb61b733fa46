"""Re-encrypt register values after a field-key rotation.

Rotation: add the new key to WANGGE_FIELD_KEYS under a new version, set WANGGE_FIELD_KEY_VERSION
to it, restart, run this command; once it reports 0 on a second run, the old key may be removed.
"""

from django.core.management.base import BaseCommand

from wangge.orgs.permissions import system_actor
from wangge.registry.privacy import register_reencrypt


class Command(BaseCommand):
    help = "Rewrite register ciphertexts written under an older key version."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, **options) -> None:
        count = register_reencrypt(actor=system_actor(), batch_size=options["batch_size"])
        self.stdout.write(f"re-encrypted {count} values")
