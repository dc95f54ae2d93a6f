"""The bench's settings: the app's, with the bench's URLconf (the app plus one reference view).

Only bench/run.py starts a server with them (DJANGO_SETTINGS_MODULE=bench.settings); bench/ is
not in the image (.dockerignore)."""

from pospro.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
