"""The only module-level app: what gunicorn serves (`gunicorn wsgi:app`)."""

import gc

from hiring import create_app

app = create_app()
# Everything loaded so far (modules, templates' machinery, the app) lives as long as the worker:
# moved out of the collector's reach, a full collection no longer walks it on every run, which
# otherwise paused a worker for tens of milliseconds, sometimes inside a write transaction
# that the other workers then queued behind. With `gunicorn --preload` (`make serve`) this runs
# once in the master and the workers fork from it: they start at once and share these pages.
gc.freeze()
