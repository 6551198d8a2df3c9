import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyc.settings")

app = Celery("kyc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
