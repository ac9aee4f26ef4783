"""The ``taizhang`` console command: Django's management commands for this project.

Without ``DJANGO_SETTINGS_MODULE`` it runs the production settings; the development
settings are used when asked (``TAIZHANG_DEV=1``, or the Makefile's targets, which set
``DJANGO_SETTINGS_MODULE=config.settings.dev``).
"""

import os
import sys

from config.settings.selection import choose_settings


def main() -> None:
    chosen_by_default = "DJANGO_SETTINGS_MODULE" not in os.environ
    module = choose_settings()
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- import the settings now, to explain a refusal
    except ImproperlyConfigured as error:
        hint = (
            f"\n(taizhang ran {module} because DJANGO_SETTINGS_MODULE is not set; on a "
            "development checkout use the make targets or set TAIZHANG_DEV=1)"
            if chosen_by_default
            else ""
        )
        sys.exit(f"taizhang: {error}{hint}")
    execute_from_command_line([sys.argv[0], *sys.argv[1:]])


if __name__ == "__main__":
    main()
