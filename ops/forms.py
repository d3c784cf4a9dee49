from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.utils import timezone

from feeds.feed_keys import trading_date_for
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


DATE_HELP = "The trading date, YYYY-MM-DD (Chicago)."
_DATE_ERRORS = {"invalid": "Enter the trading date as YYYY-MM-DD, e.g. 2025-07-21."}


def _trading_day(value: date | None, *, required: bool) -> date | None:
    """Refuse a day after today's trading date: there is nothing of it to read."""
    if value is None:
        if required:
            raise forms.ValidationError("Enter the trading date to replay.")
        return None
    today = trading_date_for(datetime.now(UTC))
    if value > today:
        raise forms.ValidationError(
            f"{value:%Y-%m-%d} is after today's trading date ({today:%Y-%m-%d}): "
            "nothing has arrived for it yet."
        )
    return value


class ReplayForm(forms.Form):
    """Replay a trading day's archived files (``feeds.replay``)."""

    day = forms.DateField(
        label="Trading date",
        input_formats=["%Y-%m-%d"],
        help_text=DATE_HELP,
        error_messages=_DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    feed = forms.ChoiceField(
        choices=[("", "Every feed"), *((f.value, f.value) for f in Feed)], required=False
    )

    def clean_day(self) -> date | None:
        return _trading_day(self.cleaned_data.get("day"), required=True)

    def params(self) -> dict[str, Any]:
        return {"day": self.cleaned_data["day"].isoformat(), "feed": self.cleaned_data["feed"]}


class RebuildForm(forms.Form):
    """Rebuild the latest state from a day's history (``feeds.rebuild``)."""

    day = forms.DateField(
        label="Trading date",
        input_formats=["%Y-%m-%d"],
        required=False,
        help_text=DATE_HELP + " Empty: today's.",
        error_messages=_DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    feeds = forms.MultipleChoiceField(
        choices=[(f.value, f.value) for f in Feed],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every feed.",
    )

    def clean_day(self) -> date | None:
        return _trading_day(self.cleaned_data.get("day"), required=False)

    def params(self) -> dict[str, Any]:
        day = self.cleaned_data["day"] or trading_date_for(datetime.now(UTC))
        return {"day": day.isoformat(), "feeds": list(self.cleaned_data["feeds"])}


class RedriveForm(forms.Form):
    """Redrive the DLQ: typed confirmation, as for any action that moves messages."""

    confirm = forms.CharField(label="Type redrive to confirm", required=False)

    def clean_confirm(self) -> str:
        if self.cleaned_data.get("confirm") != "redrive":
            raise forms.ValidationError("Type redrive to confirm.")
        return "redrive"

    def params(self) -> dict[str, Any]:
        return {}
