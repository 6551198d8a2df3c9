import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyc.settings")

app = Celery("kyc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_connections(sender=None, **kwargs):
    """The web's request cycle for tasks: drop a connection past CONN_MAX_AGE or found broken.

    With CONN_MAX_AGE = 0 (SQLite) that is every connection, as Celery did; on PostgreSQL a
    worker thread keeps its connection between tasks (settings.CELERY_DB_REUSE_MAX).
    """
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections as close

    close()
