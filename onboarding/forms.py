from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from onboarding.models import Decision, ReviewReason


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read the notice above and agree to the processing of my photos and ID card that it describes."),
        error_messages={"required": _("Please tick the box to agree before you start.")},
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        error_messages={
            "required": _("Choose or take a photo first."),
            "empty": _("The file is empty. Choose the photo again."),
        },
    )


class DeclaredIdentityForm(forms.Form):
    """Your details: what the applicant says about themselves, compared with their document."""

    full_name = forms.CharField(
        label=_("Full name, as on your document"),
        max_length=200,
        required=False,
        help_text=_("In Chinese characters or in pinyin, as you prefer."),
    )
    document_number = forms.RegexField(
        label=_("Document number"),
        regex=r"^[A-Za-z0-9 <-]{1,40}$",
        required=False,
        error_messages={"invalid": _("Letters and digits only, as printed on your document.")},
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date, for example 1990-03-07.")},
    )


class ReviewDecisionForm(forms.Form):
    """A reviewer's decision: a reason template of the outcome, free text, or both (one at least)."""

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[(Decision.Outcome.APPROVE, _("Approve")), (Decision.Outcome.REJECT, _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    comment = forms.CharField(
        label=_("Internal comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        help_text=_(
            "Required without a reason template. For staff only: kept in the "
            "decision and the audit trail, never sent to the client."
        ),
    )
    client_message = forms.CharField(
        label=_("Message to the client"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Optional. Sent to the integrating client with the decision "
            "(API and webhooks), beside the reason template's text."
        ),
    )

    def __init__(self, *args, liveness_evidence=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {r.code: r for r in ReviewReason.objects.filter(is_active=True)}
        if not liveness_evidence:  # a still photo alone: no template may claim a live selfie was seen
            self.templates = {c: r for c, r in self.templates.items() if c not in ReviewReason.CLAIMS_LIVENESS}
        # Grouped under the same labels as the outcome buttons (review.js shows the chosen one's group).
        groups = {str(label): [] for _value, label in self.fields["outcome"].choices}
        for r in self.templates.values():
            groups[str(r.get_outcome_display())].append((r.code, r.text))
        self.fields["reason"].choices = [("", "---------")] + [(k, v) for k, v in groups.items() if v]

    def clean(self):
        data = super().clean()
        reason = data["reason"] = self.templates.get(data.get("reason") or "")
        if reason is None and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Choose a reason or write one."))
        if reason is not None and data.get("outcome") and reason.outcome != data["outcome"]:
            self.add_error("reason", _("This reason is for the other decision."))
        return data


class RetentionActionForm(forms.Form):
    """The reason for a legal hold or its release, or the reference of an erasure request."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, help_text=_("Required. Kept in the audit trail.")
    )

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["text"].label = label


class StaffLoginForm(AdminAuthenticationForm):
    """The admin login, with failed attempts limited per address and per user name at that address.

    The attempt is counted before the password is checked and given back when it was right, so
    parallel guesses cannot pass the limit. Counting per user name *and address* means nobody can
    lock a colleague out from elsewhere; the price is that guesses spread over many addresses are
    limited per address only (docs/security.md)."""

    def clean(self):
        from onboarding.services import limits

        rule = limits.rule("staff_login_failures")
        username = (self.cleaned_data.get("username") or "").strip().lower()
        ip = limits.subjects(self.request)[0]
        who = [ip, f"user:{username}:{ip}"]
        try:
            token = limits.attempt(rule, *who)
        except limits.RateLimited as exc:
            raise forms.ValidationError(exc.message, code="rate_limited") from None
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted
        limits.refund(rule, token, *who)
        return cleaned


class PeriodForm(forms.Form):
    """The dashboard's and the what-if's period: the last N days, or from a date to a date."""

    days = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        initial=30,
        choices=[(7, _("last 7 days")), (30, _("last 30 days")), (90, _("last 90 days")), (365, _("last 365 days"))],
    )
    start = forms.DateField(label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if bool(data.get("start")) != bool(data.get("end")):
            raise forms.ValidationError(_("Give both dates, or neither."))
        if data.get("start") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The first date is after the last."))
        return data

    def period(self):
        from onboarding.selectors.dashboard import Period

        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("start"):
            return Period.between(data["start"], data["end"])
        return Period.last(data.get("days") or 30)


class WhatIfForm(PeriodForm):
    """Candidate thresholds, one field per vendor and check kind seen in the period."""

    margin = forms.FloatField(
        label=_("Compare review margin"),
        required=False,
        min_value=0,
        max_value=0.5,
        help_text=_("A share of the score's scale (0.05: 5 points on 0-100). Empty: the policy's review_margin."),
    )

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in rows:
            name = f"t_{row['vendor']}_{row['kind']}"
            self.fields[name] = forms.FloatField(
                label=f"{row['vendor']} {row['kind']}", required=False, initial=row["threshold"]
            )
            self.rows.append({**row, "field": name})

    def candidate(self) -> dict:
        return {
            (row["vendor"], row["kind"]): self.cleaned_data[row["field"]]
            for row in self.rows
            if self.cleaned_data.get(row["field"]) is not None
        }
