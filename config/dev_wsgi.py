"""WSGI application for ``runserver`` under the development settings (``make run``).

Separate from ``config/wsgi.py`` so that the production entry point can refuse DEBUG.
"""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
