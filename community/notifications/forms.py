from django import forms

from community.notifications.models import EmailPreferences


class EmailPreferencesForm(forms.ModelForm):
    class Meta:
        model = EmailPreferences
        fields = ["reminders", "digest", "mentorship", "announcements"]
        help_texts = {
            "reminders": "A day and an hour before a workshop or coffee chat you booked.",
            "digest": "Mondays at 08:00 your time: upcoming workshops, new episodes and open mentorship batches.",
            "mentorship": "Check-ins and feedback requests while you are in a mentorship pair.",
            "announcements": "News from the people who run the community.",
        }

    def choices(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data[name]) for name in self.Meta.fields}
