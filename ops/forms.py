from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from feeds.records import Feed
from ops.alarms import ALARMS, Severity
from ops.models import NOTE_MAX_CHARS, Incident, Silence

TARGETS = [(f"feed:{f.value}", f"Feed {f.value}") for f in Feed] + [
    (f"alarm:{a.id}", f"Alarm {a.title}") for a in ALARMS
]


class SilenceForm(forms.Form):
    what = forms.ChoiceField(choices=TARGETS, label="Silence")
    until = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Local time of the desk (America/Chicago).",
    )
    reason = forms.CharField(max_length=255)

    def clean_until(self) -> Any:
        until = self.cleaned_data["until"]
        if until <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return until

    def target_and_name(self) -> tuple[str, str]:
        target, name = self.cleaned_data["what"].split(":", 1)
        return str(Silence.Target.FEED if target == "feed" else Silence.Target.ALARM), name


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_CHARS,
        error_messages={
            "max_length": (
                "A note is at most %(limit_value)s characters; this one has %(show_value)s."
            )
        },
    )


STATE_FILTERS = [
    ("", "Any state"),
    ("active", "Open or acknowledged"),
    *Incident.State.choices,
]
WITHIN = [("", "Any time"), ("1", "Last 24 hours"), ("7", "Last 7 days"), ("30", "Last 30 days")]


class IncidentFilterForm(forms.Form):
    """The incidents list's filters (GET); each empty value means "any"."""

    state = forms.ChoiceField(choices=STATE_FILTERS, required=False)
    alarm = forms.ChoiceField(
        choices=[("", "Any alarm"), *((a.id, a.title) for a in ALARMS)], required=False
    )
    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *((s.value, s.value) for s in Severity)], required=False
    )
    within_days = forms.ChoiceField(choices=WITHIN, required=False, label="Opened")
