from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "taizhang.activities"
    label = "activities"
    verbose_name = "Activities"

    def ready(self) -> None:
        from taizhang.activities.dictionaries import KINDS, VENUES
        from taizhang.core.seeding import seed_after_migrate

        seed_after_migrate(self, {"ActivityKind": KINDS, "VenueCategory": VENUES})
