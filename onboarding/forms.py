from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from onboarding.models import Decision


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read the notice above and agree to the processing of my photos and ID card for "
                "identity verification."),
        error_messages={"required": _("Please tick the box to agree before you start.")})


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"), error_messages={"required": _("Choose or take a photo first."),
                                          "empty": _("The file is empty. Choose the photo again.")})


class ReviewDecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(Decision.Outcome.APPROVE, _("Approve")),
                                         (Decision.Outcome.REJECT, _("Reject"))], widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required. Kept in the decision and the audit trail."))


class RetentionActionForm(forms.Form):
    """The reason for a legal hold or its release, or the reference of an erasure request."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                           help_text=_("Required. Kept in the audit trail."))

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["text"].label = label


class StaffLoginForm(AdminAuthenticationForm):
    """The admin login, with failed attempts limited per user name and per IP address."""

    def clean(self):
        from onboarding.services import limits

        rule = limits.rule("staff_login_failures")
        username = (self.cleaned_data.get("username") or "").strip().lower()
        who = [*limits.subjects(self.request), f"user:{username}"]
        try:
            limits.check(rule, *who)
        except limits.RateLimited as exc:
            raise forms.ValidationError(exc.message, code="rate_limited") from None
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if exc.code == "invalid_login":
                limits.hit(rule, *who)
            raise
