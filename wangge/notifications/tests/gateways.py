"""A gateway at the edge of the world for tests: records what it was asked to send and fails
the first `failures` calls, like a carrier's API that is down for a while."""

import threading


class RecordingGateway:
    sent: list[tuple[str, str, str, int]] = []
    failures = 0
    lock = threading.Lock()

    @classmethod
    def reset(cls, failures: int = 0) -> None:
        cls.sent = []
        cls.failures = failures

    def _record(self, channel: str, address: str, text: str, notification_id: int) -> None:
        with self.lock:
            if RecordingGateway.failures > 0:
                RecordingGateway.failures -= 1
                raise ConnectionError(f"carrier refused {address}")  # quotes the address
            RecordingGateway.sent.append((channel, address, text, notification_id))

    def send_sms(self, *, phone: str, text: str, notification_id: int) -> None:
        self._record("sms", phone, text, notification_id)

    def send_wechat(self, *, user_ref: str, text: str, link: str, notification_id: int) -> None:
        self._record("wechat", user_ref, text, notification_id)
