from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    grant_to_roles,
    register_nav,
    register_permission,
    register_policy,
)
from taizhang.people.permissions import COMMUNITY_REPORT, PERSON, PERSON_TRANSFER

register_permission("people.view", _("View persons and positions"))
register_permission("people.manage", _("Record persons and positions"))
register_permission("people.view_personal", _("See unmasked personal data"), second_approval=True)
# A grid worker records activities and their attendance, so she picks persons; she
# does not keep the register.
grant_to_roles("people.view", "clerk", "secretary", "leader", "personnel", "viewer", "grid_worker")
grant_to_roles("people.manage", "clerk", "secretary", "personnel")
grant_to_roles("people.view_personal", "personnel")

register_nav(_("People"), "people:list", "people.view", order=20)

register_policy(PERSON)
register_policy(COMMUNITY_REPORT)
register_policy(PERSON_TRANSFER)

from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.people.exports import EXPORT  # noqa: E402
from taizhang.people.imports import IMPORTER  # noqa: E402

register_export(EXPORT)
register_importer(IMPORTER)


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "memberships": _("Party memberships"),
        "person_ids": _("Person numbers"),
        "persons": _("Persons"),
        "positions": _("Positions"),
    },
    object_type="people.person",
)
