import os
import sys
import time

os.environ.update(
    BENCH_ENABLED="1",
    DEBUG="0",
    SECRET_KEY="x" * 50,
    SECURE_SSL_REDIRECT="0",
    ALLOWED_HOSTS="testserver",
    DATABASE_URL=os.environ.get(
        "DBURL", "postgres://servicedesk:servicedesk@127.0.0.1:5432/servicedesk_bench_1000000"
    ),
    CELERY_BROKER_URL="memory://",
)
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
django.setup()
from django.conf import settings
from django.test import Client

from accounts.models import User

settings.STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
c = Client()
c.force_login(User.objects.get(email=os.environ.get("WHO", "agent1@bench.example.com")))
for url in sys.argv[1:]:
    hdr = {}
    if "|" in url:
        url, tgt = url.split("|")
        hdr = {"HX-Request": "true", "HX-Target": tgt}
    for _ in range(3):
        c.get(url, headers=hdr)
    ts = []
    for _ in range(15):
        t = time.perf_counter()
        r = c.get(url, headers=hdr)
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    print(f"{ts[len(ts) // 2]:7.1f} ms  {r.status_code} {url} {hdr.get('HX-Target', '')}")
