from django import forms
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
