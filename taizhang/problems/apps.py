from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "taizhang.problems"
    label = "problems"
    verbose_name = "Problems"

    def ready(self) -> None:
        from taizhang.core.seeding import seed_after_migrate
        from taizhang.problems.dictionaries import KINDS

        seed_after_migrate(self, {"ProblemKind": KINDS})
