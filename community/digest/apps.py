from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "community.digest"
    label = "digest"
    verbose_name = "Weekly digest"

    def ready(self) -> None:
        from community.digest.registry import register_section
        from community.digest.sections import new_episodes, upcoming_workshops

        # The community's own sections come first; apps higher up (mentorship) add theirs after.
        register_section("workshops", upcoming_workshops)
        register_section("episodes", new_episodes)
