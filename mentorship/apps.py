from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    name = "mentorship"
    verbose_name = "Mentorship"

    def ready(self) -> None:
        from community.digest.registry import register_section
        from mentorship.digest import open_batches

        register_section("batches", open_batches)

        from community.announcements.registry import register_source
        from mentorship.announcements import newly_open_batches

        register_source("batches", newly_open_batches)

        from mentorship.report_figures import register_report_section

        register_report_section()

        from community.members.profile_sections import register_profile_section
        from mentorship.profile import mentorship_record_section

        register_profile_section("mentorship", mentorship_record_section)
        from mentorship import checks  # noqa: F401 - registers the system checks
