import pytest

from wangge.core.accounts import PHONE_AAD
from wangge.core.crypto import encrypt, phone_index
from wangge.core.models import AccountKind, User

from .gateways import RecordingGateway

RECORDING = "wangge.notifications.tests.gateways.RecordingGateway"
PHONE = "13800138000"


def make_resident(username: str = "resident_phone", phone: str = PHONE) -> User:
    """A resident who signs in by phone, made without the sign-up service (no audit row, so
    transactional tests can empty the append-only trail's database)."""
    return User.objects.create_user(
        username=username,
        kind=AccountKind.RESIDENT,
        display_name="王芳",
        phone_index=phone_index(phone),
        phone_encrypted=encrypt(phone, aad=PHONE_AAD),
    )


@pytest.fixture
def gateway(settings):
    settings.WANGGE_MESSAGE_GATEWAY = RECORDING
    RecordingGateway.reset()
    yield RecordingGateway
    RecordingGateway.reset()


@pytest.fixture
def resident_with_phone(db):
    return make_resident()
