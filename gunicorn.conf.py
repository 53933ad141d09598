"""gunicorn settings for a deployment: ``gunicorn -c gunicorn.conf.py wsgi:app``.

From an installed wheel: ``gunicorn -c python:referral.ops.gunicorn_conf
'referral:create_app()'``.  Every value can be overridden from the environment
(GUNICORN_*): see referral/ops/gunicorn_conf.py.
"""

from referral.ops.gunicorn_conf import *  # noqa: F403 - the settings are the module's globals
