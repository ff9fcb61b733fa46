"""SMS and WeChat go through a gateway chosen by WANGGE_MESSAGE_GATEWAY (a dotted path).

A gateway raises on failure (any exception: the row is retried). The default, LoggingGateway,
sends nothing: it writes the masked address and the text to the GatewayMessage table and the
log, which is what the demo and a street without an SMS contract need. A real gateway (a
carrier's SMS API, a WeChat official account's template messages) implements the same two
methods; for WeChat it receives the user reference and keeps its own openid binding.
"""

import logging
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from wangge.core.crypto import mask_phone

from .models import Channel, GatewayMessage

logger = logging.getLogger("wangge.notifications")
DEFAULT_GATEWAY = "wangge.notifications.gateways.LoggingGateway"


class MessageGateway(Protocol):
    def send_sms(self, *, phone: str, text: str, notification_id: int) -> None: ...

    def send_wechat(self, *, user_ref: str, text: str, link: str, notification_id: int) -> None: ...


class LoggingGateway:
    def send_sms(self, *, phone: str, text: str, notification_id: int) -> None:
        masked = mask_phone(phone)
        GatewayMessage.objects.create(
            channel=Channel.SMS, masked_address=masked, text=text, notification_id=notification_id
        )
        logger.info("sms %s to %s", notification_id, masked)

    def send_wechat(self, *, user_ref: str, text: str, link: str, notification_id: int) -> None:
        GatewayMessage.objects.create(
            channel=Channel.WECHAT,
            masked_address=user_ref[:32],
            text=text,
            notification_id=notification_id,
        )
        logger.info("wechat %s to %s", notification_id, user_ref)


@lru_cache(maxsize=4)
def _gateway(path: str) -> MessageGateway:
    return import_string(path)()


def message_gateway() -> MessageGateway:
    return _gateway(getattr(settings, "WANGGE_MESSAGE_GATEWAY", DEFAULT_GATEWAY))
