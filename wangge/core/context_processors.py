from django.conf import settings


def wangge(request) -> dict:
    return {
        "WANGGE_TILE_URL": settings.WANGGE_TILE_URL,
    }
