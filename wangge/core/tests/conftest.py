import pytest

from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import make_street, staff_user

from .helpers import give_device


@pytest.fixture
def street(db):
    return make_street()


@pytest.fixture
def no_totp_throttle(settings):
    # django-otp delays a retry after a wrong code by 1 s; tests retry at once on purpose.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def admin(street):
    return staff_user("admin_street", Role.ADMIN, street.street, display_name="街道管理员")


@pytest.fixture
def admin_device(admin):
    return give_device(admin)


@pytest.fixture
def auditor(street):
    return staff_user("auditor_street", Role.AUDITOR, street.street)


@pytest.fixture
def auditor_device(auditor):
    return give_device(auditor)
