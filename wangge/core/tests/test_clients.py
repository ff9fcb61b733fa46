"""The client's address: X-Forwarded-For is believed only from a configured proxy, and then only
up to the right-most address that is not a trusted proxy."""

import pytest
from django.test import RequestFactory

from wangge.core.clients import client_address
from wangge.core.crypto import phone_index
from wangge.core.ratelimits import phone_key


def address(remote: str, forwarded: str | None = None) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(request)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.WANGGE_TRUSTED_PROXIES = ()
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_from_an_untrusted_peer_the_header_is_ignored(settings):
    settings.WANGGE_TRUSTED_PROXIES = ("10.0.0.0/8",)
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("203.0.113.1", "203.0.113.1"),
        # The client wrote the left part itself: the right-most untrusted hop counts.
        ("6.6.6.6, 203.0.113.1", "203.0.113.1"),
        ("6.6.6.6, 203.0.113.1, 10.0.0.2", "203.0.113.1"),
        # Only proxies in the chain: the farthest one vouched for is the client.
        ("10.0.0.3, 10.0.0.2", "10.0.0.3"),
        ("not-an-address, 203.0.113.1", "203.0.113.1"),
        ("203.0.113.1, garbage", "10.0.0.1"),
        ("", "10.0.0.1"),
        ("[2001:db8::5]:443", "2001:db8::5"),
        ("203.0.113.9:51234", "203.0.113.9"),
    ],
)
def test_from_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(
    settings, forwarded, client
):
    settings.WANGGE_TRUSTED_PROXIES = ("10.0.0.0/8",)
    assert address("10.0.0.1", forwarded) == client


def test_a_connection_without_an_address_is_unknown(settings):
    assert address("") == "unknown"


def test_a_phone_key_is_neither_the_number_nor_its_register_index():
    key = phone_key("138 1234 5678")
    assert key == phone_key("13812345678")
    assert "13812345678" not in key and key != phone_index("13812345678")
