"""Signals of the organization tree, for modules that keep figures per subtree."""

from django.dispatch import Signal

# Sent inside the moving transaction, after the paths were rewritten, with
# ``organization`` (refreshed), ``old_parent_id`` and ``new_parent_id``.
organization_moved = Signal()
