"""The only module-level app: what gunicorn serves (`gunicorn wsgi:app`)."""

from hiring import create_app

app = create_app()
