import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.proxy import TrustedProxyMiddleware, parse_networks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# Whatever this process creates (database, uploads, keys, exports) is for its owner only.
os.umask(0o077)
application = TrustedProxyMiddleware(
    get_wsgi_application(), parse_networks(settings.WANGGE_TRUSTED_PROXIES)
)
