"""REST API v1. Thin: parse, call services, shape with selectors. Each client sees only its own data."""

from datetime import UTC

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from onboarding.models import Applicant, ErasureReceipt, LivenessDataFile, Photo, Verification
from onboarding.selectors import api as selectors
from onboarding.selectors import identity
from onboarding.selectors.cases import verification_with_details
from onboarding.services.applicant.applicants import (
    LivenessDataRejected,
    add_liveness_data,
    add_photo,
    create_applicant,
)
from onboarding.services.applicant.images import ImageRejected, PixelBudget, normalize_image, read_upload
from onboarding.services.compliance import audit
from onboarding.services.compliance.erasure import ErasureRefused, erase_applicant, receipt_document
from onboarding.services.identity import documents
from onboarding.services.integrations import idempotency
from onboarding.services.pipeline.verifications import SubmissionError, submit_new_applicant, submit_verification

from .authentication import ApiKeyAuthentication, HasScope
from .errors import ApiProblem
from .parsers import JSONParser
from .serializers import (
    ApplicantCreateSerializer,
    ApplicantSerializer,
    CreatedSerializer,
    DeclaredIdentitySerializer,
    ErasureReceiptSerializer,
    ErasureRequestSerializer,
    LivenessDataSerializer,
    LivenessDataUploadSerializer,
    PaginatedVerificationSerializer,
    PhotoSerializer,
    PhotoUploadSerializer,
    VerificationSerializer,
    VerificationShortcutSerializer,
    VerificationSubmitSerializer,
)

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Same key and body: the same verification. Same key, other body: 409.",
)
PROBLEM = OpenApiResponse(description="RFC 9457 problem details (application/problem+json)")


def _actor(request):
    return audit.Actor.api(request.user.client)


class ApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]

    @property
    def client(self):
        return self.request.user.client

    def own_applicant(self, applicant_id):
        return get_object_or_404(Applicant, pk=applicant_id, client=self.client)


def applicant_body(applicant) -> dict:
    return {**ApplicantSerializer(applicant).data, "declared_fields": sorted(identity.declared_of(applicant.pk))}


def declared_data(validated: dict) -> dict:
    """The declared identity fields of a request, normalised (400 naming the field that is not valid)."""
    try:
        return documents.clean_declared(**{k: validated[k] for k in documents.DECLARED_FIELDS if k in validated})
    except documents.DeclaredDataError as exc:
        field = str(exc).split(":", 1)[0]
        raise ApiProblem(
            400, "validation_error", str(exc), [{"field": field, "code": "invalid", "detail": str(exc)}]
        ) from None


def shown(verification, body: dict, request) -> dict:
    """A verification's body as a client sees it; its document fields, when there are, audited as seen."""
    if body.get("document") and body["document"]["fields"]:
        documents.record_viewed(verification, actor=_actor(request), purpose="api")
    return body


def upload_error(field, exc):
    """One entry of a problem's `errors` for a rejected file (ImageRejected or LivenessDataRejected)."""
    return {"field": field, "code": exc.code, "detail": str(exc.message)}


def image_or_problem(field, uploaded, errors, budget=None):
    try:
        return normalize_image(uploaded, budget)
    except ImageRejected as exc:
        errors.append(upload_error(field, exc))
        return None


def raise_upload_errors(errors):
    if errors:
        raise ApiProblem(400, "invalid_upload", "One or more files cannot be used.", errors)


class ApplicantList(ApiView):
    @extend_schema(
        request=ApplicantCreateSerializer,
        responses={201: ApplicantSerializer, 400: PROBLEM},
        summary="Create an applicant",
    )
    def post(self, request):
        data = ApplicantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        declared = declared_data(data.validated_data)
        applicant = create_applicant(
            consent_version=f"api:{self.client.name}",
            client=self.client,
            external_ref=data.validated_data.get("external_ref", ""),
            actor=_actor(request),
            declared=declared,
        )
        return Response(applicant_body(applicant), status=http.HTTP_201_CREATED)


class ApplicantDetail(ApiView):
    @extend_schema(responses={200: ApplicantSerializer, 404: PROBLEM}, summary="Read an applicant")
    def get(self, request, applicant_id):
        return Response(applicant_body(self.own_applicant(applicant_id)))

    @extend_schema(
        request=DeclaredIdentitySerializer,
        responses={200: ApplicantSerializer, 400: PROBLEM, 404: PROBLEM},
        summary="Declare the applicant's name, document number and date of birth",
        description="Compared with the document at the next verification; replaces what was declared before.",
    )
    def patch(self, request, applicant_id):
        applicant = self.own_applicant(applicant_id)
        data = DeclaredIdentitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        declared = {**identity.declared_of(applicant.pk), **declared_data(data.validated_data)}
        documents.declare(applicant, declared, actor=_actor(request))
        return Response(applicant_body(applicant))


class ApplicantErasure(ApiView):
    @extend_schema(
        request=ErasureRequestSerializer,
        responses={
            201: ErasureReceiptSerializer,
            200: OpenApiResponse(ErasureReceiptSerializer, description="Nothing new to erase: the last receipt"),
            404: PROBLEM,
            409: OpenApiResponse(description="legal_hold or case_open (RFC 9457 problem details)"),
        },
        summary="Erase an applicant's biometrics and personal data (right to erasure)",
    )
    def post(self, request, applicant_id):
        applicant = self.own_applicant(applicant_id)
        data = ErasureRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            receipt, created = erase_applicant(
                applicant.pk, actor=_actor(request), reference=data.validated_data["reference"]
            )
        except ErasureRefused as exc:
            raise ApiProblem(409, exc.code, exc.message) from None
        return Response(receipt_document(receipt), status=http.HTTP_201_CREATED if created else http.HTTP_200_OK)

    @extend_schema(responses={200: ErasureReceiptSerializer, 404: PROBLEM}, summary="Read the last erasure receipt")
    def get(self, request, applicant_id):
        applicant = self.own_applicant(applicant_id)
        receipt = ErasureReceipt.objects.filter(applicant_id=applicant.pk).order_by("-created_at").first()
        if receipt is None:
            raise ApiProblem(404, "not_found", "This applicant's data were never erased.")
        return Response(receipt_document(receipt))


class PhotoUpload(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: PhotoSerializer, 400: PROBLEM},
        summary="Upload a photo (selfie, ID card front or back)",
    )
    def post(self, request, applicant_id):
        applicant = self.own_applicant(applicant_id)
        data = PhotoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        errors = []
        image = image_or_problem("file", data.validated_data["file"], errors)
        raise_upload_errors(errors)
        photo = add_photo(applicant, data.validated_data["kind"], image, actor=_actor(request))
        return Response(PhotoSerializer(photo).data, status=http.HTTP_201_CREATED)


class LivenessDataUpload(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": LivenessDataUploadSerializer},
        responses={201: LivenessDataSerializer, 400: PROBLEM},
        summary="Upload the liveness file from LinkFace's mobile SDK",
    )
    def post(self, request, applicant_id):
        applicant = self.own_applicant(applicant_id)
        data = LivenessDataUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            item = add_liveness_data(
                applicant,
                data.validated_data["file"].read(settings.KYC_MAX_UPLOAD_BYTES + 1),
                vendor=data.validated_data["vendor"],
                actor=_actor(request),
            )
        except LivenessDataRejected as exc:
            raise ApiProblem(400, "invalid_upload", "The file cannot be used.", [upload_error("file", exc)]) from None
        return Response(LivenessDataSerializer(item).data, status=http.HTTP_201_CREATED)


def _idempotent_submit(request, digest, create):
    """Run create(before_commit) once per Idempotency-Key; replay returns the same verification."""
    client, key = request.user.client, request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return create(None), True
    if len(key) > 255:
        raise ApiProblem(400, "invalid_idempotency_key", "Idempotency-Key is at most 255 characters.")
    try:
        earlier = idempotency.existing(client, key, digest)
        if earlier is not None:
            return earlier, False
        return create(lambda v: idempotency.remember(client, key, digest, v)), True
    except idempotency.IdempotencyConflict:
        try:
            earlier = idempotency.existing(client, key, digest)  # a concurrent twin with the same body won
        except idempotency.IdempotencyConflict:
            earlier = None
        if earlier is None:
            raise ApiProblem(
                409, "idempotency_key_reused", "This Idempotency-Key was used with a different request body."
            ) from None
        return earlier, False


class ApplicantVerifications(ApiView):
    @extend_schema(
        request=VerificationSubmitSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: VerificationSerializer, 400: PROBLEM, 409: PROBLEM},
        summary="Submit a verification from uploaded photos",
    )
    def post(self, request, applicant_id):
        applicant = self.own_applicant(applicant_id)
        data = VerificationSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        digest = idempotency.request_hash({"applicant": str(applicant.pk), **{k: str(x) for k, x in v.items()}}, {})

        def photo(field, kind):
            if field not in v:
                return None
            found = Photo.objects.filter(pk=v[field], applicant=applicant, kind=kind, purged_at__isnull=True).first()
            if found is None:
                raise ApiProblem(
                    400,
                    "invalid_reference",
                    f"No {kind} photo {v[field]} for this applicant.",
                    [{"field": field, "code": "not_found", "detail": "no such photo of this kind"}],
                )
            return found

        def create(before_commit):
            liveness = None
            if "liveness_data" in v:
                liveness = LivenessDataFile.objects.filter(
                    pk=v["liveness_data"], applicant=applicant, purged_at__isnull=True
                ).first()
                if liveness is None:
                    raise ApiProblem(
                        400,
                        "invalid_reference",
                        "No such liveness data file for this applicant.",
                        [{"field": "liveness_data", "code": "not_found", "detail": "not found"}],
                    )
            try:
                return submit_verification(
                    applicant,
                    selfie=photo("selfie", Photo.Kind.SELFIE),
                    id_card=photo("id_card", Photo.Kind.ID_CARD),
                    id_card_back=photo("id_card_back", Photo.Kind.ID_CARD_BACK),
                    liveness_data=liveness,
                    channel=Verification.Channel.API,
                    actor=_actor(request),
                    before_commit=before_commit,
                )
            except SubmissionError as exc:  # a file erased while this request ran
                raise ApiProblem(400, "invalid_reference", str(exc)) from None

        verification, created = _idempotent_submit(request, digest, create)
        body = shown(verification, selectors.api_verification(verification_with_details(verification.pk)), request)
        return Response(body, status=http.HTTP_201_CREATED)


class VerificationPagination(CursorPagination):
    ordering = "-submitted_at"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        """A cursor is ours or a 400: its position must be a date-time, not whatever a client wrote."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        if cursor is None:
            return None
        if cursor is False or (cursor.position is not None and parse_datetime(cursor.position) is None):
            raise ApiProblem(400, "invalid_cursor", "The cursor is not one this API gave.")
        return cursor


class VerificationList(ApiView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in Verification.Status]),
            OpenApiParameter("decision", OpenApiTypes.STR, enum=["approve", "reject", "review"]),
            OpenApiParameter("external_ref", OpenApiTypes.STR),
            OpenApiParameter(
                "risk_level",
                OpenApiTypes.STR,
                enum=["1", "2", "3", "4"],
                description='The case\'s risk level: "1" high risk … "4" normal',
            ),
            OpenApiParameter("submitted_after", OpenApiTypes.DATETIME),
            OpenApiParameter("submitted_before", OpenApiTypes.DATETIME),
            OpenApiParameter("page_size", OpenApiTypes.INT),
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses={200: PaginatedVerificationSerializer, 400: PROBLEM},
        summary="List verifications",
        operation_id="verifications_list",
    )
    def get(self, request):
        params, filters = request.query_params, {}
        for name in ("status", "decision", "external_ref", "risk_level"):
            if params.get(name):
                filters[name] = params[name]
        for name in ("submitted_after", "submitted_before"):
            if params.get(name):
                try:
                    value = parse_datetime(params[name])
                    if value is None:
                        raise ValueError(name)
                    if value.tzinfo is None:
                        value = value.replace(tzinfo=UTC)
                    # In UTC: PostgreSQL refuses offsets beyond +-15:59 that ISO 8601 and Python allow.
                    filters[name] = value.astimezone(UTC)
                except (ValueError, OverflowError):
                    raise ApiProblem(
                        400,
                        "validation_error",
                        f"{name} must be an ISO 8601 date-time.",
                        [{"field": name, "code": "invalid", "detail": "not an ISO 8601 date-time"}],
                    ) from None
        paginator = VerificationPagination()
        page = paginator.paginate_queryset(selectors.client_verifications(self.client, **filters), request, view=self)
        return paginator.get_paginated_response([shown(v, selectors.api_verification(v), request) for v in page])

    @extend_schema(
        request={"multipart/form-data": VerificationShortcutSerializer},
        parameters=[IDEMPOTENCY],
        responses={201: CreatedSerializer, 400: PROBLEM, 409: PROBLEM},
        summary="Create applicant, photos and verification in one call",
    )
    def post(self, request):
        data = VerificationShortcutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        errors, raw = [], {}
        declared = declared_data(v)
        for field in ("selfie", "id_card", "id_card_back", "liveness_data"):
            if field in v:
                try:
                    raw[field] = read_upload(v[field])
                except ImageRejected as exc:
                    errors.append(upload_error(field, exc))
        raise_upload_errors(errors)
        digest = idempotency.request_hash({"external_ref": v.get("external_ref", ""), **declared}, raw)
        budget = PixelBudget()
        images = {
            f: image_or_problem(f, raw[f], errors, budget) for f in ("selfie", "id_card", "id_card_back") if f in raw
        }
        raise_upload_errors(errors)

        def create(before_commit):
            # A twin request that wins the key rolls this back, files too.
            return submit_new_applicant(
                images=images,
                declared=declared,
                liveness_data=raw.get("liveness_data"),
                consent_version=f"api:{self.client.name}",
                client=self.client,
                external_ref=v.get("external_ref", ""),
                channel=Verification.Channel.API,
                actor=_actor(request),
                before_commit=before_commit,
            )

        try:
            verification, _ = _idempotent_submit(request, digest, create)
        except LivenessDataRejected as exc:
            raise ApiProblem(
                400, "invalid_upload", "One or more files cannot be used.", [upload_error("liveness_data", exc)]
            ) from None
        verification.refresh_from_db(fields=["status"])
        return Response({"id": str(verification.pk), "status": verification.status}, status=http.HTTP_201_CREATED)


class VerificationDetail(ApiView):
    @extend_schema(responses={200: VerificationSerializer, 404: PROBLEM}, summary="Read a verification")
    def get(self, request, verification_id):
        verification = get_object_or_404(Verification, pk=verification_id, applicant__client=self.client)
        return Response(
            shown(verification, selectors.api_verification(verification_with_details(verification.pk)), request)
        )
