"""Request and response shapes of the REST API (also what the OpenAPI schema documents)."""

from rest_framework import serializers

from onboarding.models import Photo, Verification
from onboarding.validators import plain_text


class DeclaredIdentitySerializer(serializers.Serializer):
    """What the person says about themselves, compared with their document (declared_data_mismatch)."""

    full_name = serializers.CharField(
        max_length=200, required=False, help_text="As on the document: Han script or Latin (pinyin matches Han)."
    )
    document_number = serializers.CharField(max_length=40, required=False)
    date_of_birth = serializers.DateField(required=False)


class ApplicantCreateSerializer(DeclaredIdentitySerializer):
    external_ref = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        validators=[plain_text],
        help_text="Your own reference for this person (printable characters).",
    )


class ApplicantSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    external_ref = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    erased_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the applicant's data were erased on request, if ever."
    )
    declared_fields = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Which of full_name, document_number, date_of_birth were declared (not their values).",
    )


class ErasureRequestSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your reference for the request (ticket number), kept on the receipt.",
    )


class ErasedSerializer(serializers.Serializer):
    photos = serializers.IntegerField()
    liveness_files = serializers.IntegerField()
    liveness_bursts = serializers.IntegerField()
    vendor_responses = serializers.IntegerField()
    identity_data = serializers.IntegerField(help_text="Declared data and document readings deleted")
    external_reference = serializers.BooleanField()


class KeptSerializer(serializers.Serializer):
    until = serializers.DateTimeField(
        allow_null=True, help_text="When it goes too; null: kept until removed (or none is kept)."
    )
    why = serializers.CharField()


class KeptDecisionsSerializer(KeptSerializer):
    cases = serializers.IntegerField()


class KeptScreeningHitsSerializer(KeptSerializer):
    hits = serializers.IntegerField()


class KeptBlocklistSerializer(KeptSerializer):
    entries = serializers.IntegerField(help_text="Faces and document numbers barred from the applicant's cases")


class KeptDataSerializer(serializers.Serializer):
    decisions = KeptDecisionsSerializer()
    screening_hits = KeptScreeningHitsSerializer()
    blocklist = KeptBlocklistSerializer()
    duplicate_signals = KeptSerializer(
        help_text="Other applicants' cases that matched this applicant's photos keep the match with their "
        "decisions (not counted: they may be another client's)"
    )
    audit_trail = KeptSerializer()


class ErasureReceiptSerializer(serializers.Serializer):
    receipt_id = serializers.UUIDField()
    applicant_id = serializers.UUIDField()
    erased_at = serializers.DateTimeField()
    requested_by = serializers.CharField()
    reference = serializers.CharField()
    erased = ErasedSerializer(help_text="What was erased, by kind (files are deleted, not just hidden).")
    kept = KeptDataSerializer(help_text="What is kept (a legal duty, fraud prevention), how much, and until when.")
    digest = serializers.CharField(
        help_text="SHA-256 of the receipt without digest and audit_event_id "
        "(canonical JSON); the same digest is in the audit trail."
    )
    audit_event_id = serializers.IntegerField()


class PhotoUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Photo.Kind.choices)
    file = serializers.FileField(help_text="JPEG, PNG, WebP or HEIC; validated by decoding, EXIF orientation applied.")


class PhotoSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    sha256 = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class LivenessDataUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The liveness_data file written by LinkFace's mobile SDK.")
    vendor = serializers.ChoiceField(choices=[("linkface", "linkface")], default="linkface")


class LivenessDataSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    vendor = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class VerificationSubmitSerializer(serializers.Serializer):
    selfie = serializers.UUIDField(help_text="id of a selfie photo of this applicant")
    id_card = serializers.UUIDField(help_text="id of an ID card photo of this applicant")
    id_card_back = serializers.UUIDField(required=False)
    liveness_data = serializers.UUIDField(required=False, help_text="id of an SDK liveness file of this applicant")


class VerificationShortcutSerializer(DeclaredIdentitySerializer):
    selfie = serializers.FileField()
    id_card = serializers.FileField()
    id_card_back = serializers.FileField(required=False, help_text="The card's back (a Chinese ID card's validity)")
    liveness_data = serializers.FileField(required=False, help_text="LinkFace mobile SDK liveness file")
    external_ref = serializers.CharField(max_length=200, required=False, allow_blank=True, validators=[plain_text])


class CreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Verification.Status.choices)


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fixable = serializers.BooleanField(required=False)
    kind = serializers.CharField(required=False)
    vendor = serializers.CharField(required=False)


class CheckErrorSerializer(serializers.Serializer):
    category = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class FarSerializer(serializers.Serializer):
    value = serializers.FloatField()
    relation = serializers.ChoiceField(choices=["=", "<", "≤", ">"], help_text="= estimate; <, ≤, > a bound")
    source = serializers.CharField(help_text="The vendor's table or the local engine's measurement it comes from")


class RiskReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    level = serializers.ChoiceField(choices=["1", "2", "3", "4"])
    message = serializers.CharField()
    vendor = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)


class CheckSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    vendor = serializers.CharField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    role = serializers.ChoiceField(
        choices=["decide", "shadow"], help_text="shadow: a vendor on trial, stored and compared, never deciding"
    )
    status = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    score_scale = serializers.CharField()
    threshold = serializers.FloatField(allow_null=True)
    threshold_source = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True)
    far = FarSerializer(allow_null=True, help_text="The score as an estimated false-accept rate, where known")
    risk_level = serializers.CharField(allow_null=True, help_text="The vendor's own risk level, if it gives one")
    attempts = serializers.IntegerField()
    latency_ms = serializers.IntegerField(allow_null=True)
    request_id = serializers.UUIDField()
    vendor_request_id = serializers.CharField(allow_null=True)
    error = CheckErrorSerializer(allow_null=True)
    reasons = ReasonSerializer(many=True)


class DocumentCheckSerializer(serializers.Serializer):
    check = serializers.CharField(
        help_text="number_check_digit, mrz_<field>, number_date_of_birth, number_sex, front_back, printed_mrz, "
        "declared_<field>, expiry, minimum_age (docs/reasons.md)"
    )
    outcome = serializers.ChoiceField(choices=["passed", "failed", "not_checked"])
    field = serializers.CharField(required=False)


class DocumentSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["cn_resident_id", "passport", "id_card_td1", "id_card_td2", "id_card_fr", "unknown"],
        allow_null=True,
        help_text="What was read",
    )
    fields = serializers.DictField(
        child=serializers.CharField(),
        help_text="full_name, surname, given_names, document_number, date_of_birth (ISO), sex (M/F), nationality "
        "(ICAO), expiry_date (ISO), issue_date, issuing_authority, issuing_country, address, ethnicity: those read "
        "and kept (KYC_DOCUMENT_FIELDS_KEPT); empty once the card's photos are gone",
    )
    checks = DocumentCheckSerializer(many=True)


class VerificationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    applicant = ApplicantSerializer()
    status = serializers.ChoiceField(choices=Verification.Status.choices)
    decision = serializers.ChoiceField(choices=["approve", "reject", "review"], allow_null=True)
    decision_source = serializers.CharField(allow_null=True)
    policy_version = serializers.CharField(allow_null=True)
    reasons = ReasonSerializer(many=True)
    risk_level = serializers.ChoiceField(
        choices=["1", "2", "3", "4"],
        allow_null=True,
        help_text=(
            'The case\'s risk level, "1" high risk, "2" suspicious, "3" ordinary, "4" normal; null until decided'
        ),
    )
    risk_reasons = RiskReasonSerializer(many=True)
    channel = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    checks = CheckSerializer(many=True)
    document = DocumentSerializer(allow_null=True, help_text="The identity document as read; null: not read")


class PaginatedVerificationSerializer(serializers.Serializer):
    """A page of the cursor-paginated list."""

    next = serializers.URLField(allow_null=True, help_text="Next page, or null")
    previous = serializers.URLField(allow_null=True, help_text="Previous page, or null")
    results = VerificationSerializer(many=True)
