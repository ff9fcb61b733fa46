"""The outbox: one row per message to one recipient on one channel, written in the transaction
of the change it reports and delivered later by `delivery.notifications_deliver`.

The message and its delivery state share one row, so that an event costs one bulk INSERT. An
in-app row is delivered the moment it exists (status `sent`); it is the inbox. No row holds a
phone number or an e-mail address: the recipient is a user (resolved at delivery) or an
`address_ref` like "case_reporter:42" that a resolver registered in `hooks` turns into an address
at delivery, so the outbox never becomes a second copy of personal data.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")
    WECHAT = "wechat", _("WeChat")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    # Gave up after WANGGE_NOTIFICATIONS_MAX_ATTEMPTS; kept for admins, never deleted.
    DEAD = "dead", _("Given up")


class WebhookSubscription(models.Model):
    """A department's own system that hears every case event of one org unit (or its subtree).

    `org_path` is the unit's materialised path: notifications sits below orgs and may not point
    at OrgUnit. The signing secret is encrypted at rest (core.crypto), like personal data.
    """

    org_path = models.CharField(_("org unit path"), max_length=255, db_index=True)
    include_subtree = models.BooleanField(_("also units below"), default=False)
    url = models.URLField(_("URL"), max_length=500)
    secret_encrypted = models.BinaryField(editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"webhook {self.pk} for {self.org_path}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # "<resolver>:<id>" for a recipient without an account (see hooks.ADDRESS_RESOLVERS).
    address_ref = models.CharField(max_length=64, blank=True)
    webhook = models.ForeignKey(
        WebhookSubscription, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), max_length=2000, blank=True)
    link = models.CharField(max_length=255, blank=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The org path of the object (a case's place), so admins see problems in their scope only.
    org_path = models.CharField(max_length=255, blank=True)
    # The webhook's JSON body: codes and states only, never personal data.
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a pending row is due, or when a claimed (`sending`) row's lease runs out.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # An error class or HTTP status, never the message text (it may quote an address).
    last_error = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["recipient", "channel", "read_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False)
                | ~models.Q(address_ref="")
                | models.Q(webhook__isnull=False),
                name="notification_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} #{self.pk}"


class GatewayMessage(models.Model):
    """What the logging gateway (demo, default) "sent": the address masked, the text as sent."""

    channel = models.CharField(max_length=16, choices=Channel.choices)
    masked_address = models.CharField(max_length=32)
    text = models.TextField()
    notification_id = models.BigIntegerField(null=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.channel} to {self.masked_address}"
