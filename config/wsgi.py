import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# Whatever this process creates (database, uploads, keys, exports) is for its owner only.
os.umask(0o077)
application = get_wsgi_application()
