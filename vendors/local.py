"""The local engine: the embedded default vendor, on dlib models (vendors.engine) and, for
identity documents, RapidOCR's models (vendors.documents).

Quality, compare, document reading, and active liveness from a challenge answered in the browser
(vendors.liveness). Without a challenge, liveness answers "not applicable" with the
reason, never a made-up score, and the policy sends the case to a human.
"""

from __future__ import annotations

import datetime
import time
from concurrent.futures import ThreadPoolExecutor

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .analysis import Analysis, add_embedding, add_pad, add_text, analyse, card_text
from .base import (
    CheckKind,
    CheckRequest,
    CheckResult,
    ImageInput,
    Reason,
    ResultStatus,
    Subject,
    Threshold,
    VendorBackend,
)
from .documents import reader
from .engine import DLIB_SAME_PERSON_DISTANCE, FaceEngine, similarity_from_distance
from .exceptions import BadInputError
from .liveness import verify_burst
from .messages import APPLICANT_MESSAGES as MESSAGES
from .screening.names import spellings

# Quality limits, measured on the fixture photos (tests/fixtures/faces): sharp faces
# score 24-415, the same faces under a 6-px Gaussian blur 1-3.
MIN_FACE_SIDE = 80  # px; the embedding network works on 150-px face chips
MIN_FACE_SHARPNESS = 8.0
MIN_CARD_SHARPNESS = 60.0
DARK_BELOW = 50.0
BRIGHT_ABOVE = 215.0


def reason(code: str) -> Reason:
    return Reason(code, MESSAGES[code])


def light_problems(brightness: float) -> list[str]:
    """too_dark / too_bright for a mean grey level (0-255) outside the limits."""
    return ["too_dark"] if brightness < DARK_BELOW else ["too_bright"] if brightness > BRIGHT_ABOVE else []


def assess_quality(analysis: Analysis, subject) -> tuple[dict, list[str]]:
    """Measures and fixable problems of one analysed photo: the quality check, and the capture page's pre-check."""
    faces, measures = analysis.faces, analysis.measures
    codes = []
    details = {"faces": len(faces)}
    if subject == Subject.SELFIE:
        if not faces:
            codes.append("no_face")
        elif len(faces) > 1:
            codes.append("multiple_faces")
    elif not faces:
        codes.append("no_face_on_id")
    if faces:
        face = faces[0]
        details.update(
            face_box=face.box,
            face_side=min(face.width, face.height),
            face_sharpness=measures["face_sharpness"],
            face_brightness=measures["face_brightness"],
        )
        if subject == Subject.SELFIE:
            if details["face_side"] < MIN_FACE_SIDE:
                codes.append("face_too_small")
            if details["face_sharpness"] < MIN_FACE_SHARPNESS:
                codes.append("blurry")
        codes += light_problems(details["face_brightness"])
    if subject == Subject.ID_CARD:
        details["card_sharpness"] = measures["card_sharpness"]
        if details["card_sharpness"] < MIN_CARD_SHARPNESS:
            codes.append("blurry")
    details["limits"] = {
        "min_face_side": MIN_FACE_SIDE,
        "min_face_sharpness": MIN_FACE_SHARPNESS,
        "min_card_sharpness": MIN_CARD_SHARPNESS,
        "brightness": [DARK_BELOW, BRIGHT_ABOVE],
    }
    return details, codes


def _photo_analysis(image: ImageInput, subject: Subject, *, embedding: bool) -> Analysis:
    """The photo's stored analysis when the pipeline gives one, else one made here (and not kept)."""
    found = image.analysis
    if found is None:
        return analyse(image.data, selfie=subject == Subject.SELFIE, embedding=embedding)
    if embedding and not found.complete:  # the photo is read only for what its analysis lacks
        add_embedding(found, image.data)
    return found


class LocalEngineBackend(VendorBackend):
    name = "local"
    label = "Local engine (dlib)"
    kinds = frozenset(
        {CheckKind.QUALITY, CheckKind.LIVENESS, CheckKind.COMPARE, CheckKind.DOCUMENT, CheckKind.SCREENING}
    )
    reads_challenge = True
    reads_analysis = True
    computes_locally = True
    score_scales = {
        CheckKind.COMPARE: "0-100 similarity = 100 x (1 - distance / 1.2)",
        CheckKind.LIVENESS: "0-100 share of the challenge's head turns seen, in order",
        CheckKind.SCREENING: "0-100 best list match, evidence included",
    }
    default_thresholds = {
        CheckKind.COMPARE: Threshold(
            similarity_from_distance(DLIB_SAME_PERSON_DISTANCE),
            "dlib ResNet model's documented tolerance: distance 0.6 (similarity 50)",
        ),
        CheckKind.LIVENESS: Threshold(100.0, "kyc: every turn of the challenge, in order, same face throughout"),
    }

    def works_in_call(self, kind, *, challenge: bool = True) -> bool:
        # Quality and compare judge the photos' analyses; liveness verifies a burst (without one it
        # is not applicable at once), document reads a card, screening searches the lists, all
        # during the call.
        kind = CheckKind(kind)
        if kind == CheckKind.LIVENESS:
            return challenge
        return kind not in (CheckKind.QUALITY, CheckKind.COMPARE)

    def score_passes(self, kind, score, threshold, details):
        # Active liveness passes on the turns and the checks of the burst, not on its score.
        return None if CheckKind(kind) == CheckKind.LIVENESS else score >= threshold

    def check_quality(self, request: CheckRequest) -> CheckResult:
        started = time.monotonic()
        image = request.subject_image
        analysis = _photo_analysis(image, request.subject, embedding=False)
        if request.subject == Subject.SELFIE and not analysis.pad_current:  # kept by an earlier version
            add_pad(analysis, image.data)
        details, codes = assess_quality(analysis, request.subject)
        details["image_size"] = [image.width, image.height]
        if analysis.turn:  # found sideways or upside down: face_box is in the photo turned upright
            details["turned_degrees"] = analysis.turn
        reasons = [reason(code) for code in codes]
        notes = []
        if request.subject == Subject.SELFIE:
            pad = analysis.pad
            details["presentation_attack_heuristics"] = pad
            if pad["flags"]:
                details["heuristic_flags"] = ", ".join(pad["flags"])
                notes.append(
                    Reason(
                        "pad_heuristic_flag",
                        _("Heuristics suggest a photo of a screen or a print (%(flags)s); a reviewer should look.")
                        % {"flags": ", ".join(pad["flags"])},
                    )
                )
        # Heuristic flags do not fail quality (the photo is usable); the policy sends them to review.
        return CheckResult(
            vendor=self.name,
            kind=CheckKind.QUALITY,
            passed=not reasons,
            details=details,
            reasons=reasons + notes,
            raw_response=details,
            latency_ms=_ms(started),
        )

    def not_applicable(self, request: CheckRequest) -> CheckResult | None:
        """Active liveness without a challenge (photo uploaded instead of the camera, API, CLI) has
        nothing to verify: not applicable, and a reviewer decides."""
        if request.kind == CheckKind.LIVENESS and request.challenge is None:
            return CheckResult(
                vendor=self.name,
                kind=CheckKind.LIVENESS,
                status=ResultStatus.NOT_APPLICABLE,
                reasons=[
                    Reason(
                        "liveness_unavailable",
                        _(
                            "No active liveness challenge was done: a still photo cannot show that a live "
                            "person took it. A reviewer judges the rest of the evidence."
                        ),
                    )
                ],
                latency_ms=0,
            )
        return None

    def check_liveness(self, request: CheckRequest) -> CheckResult:
        """Active liveness: re-verify the challenge's stored burst against the selfie."""
        started = time.monotonic()
        challenge = request.challenge
        selfie = _photo_analysis(request.selfie, Subject.SELFIE, embedding=True)
        verdict = verify_burst(challenge.moves, challenge.frames, selfie)
        codes = list(challenge.prior_reasons) + verdict.reasons
        moves = max(1, len(challenge.moves))
        result = CheckResult(
            vendor=self.name,
            kind=CheckKind.LIVENESS,
            score=round(100 * verdict.metrics.get("moves_seen", 0) / moves, 1),
            details=dict(verdict.metrics, method="active challenge (head turns, dlib landmarks)"),
            raw_response=verdict.metrics,
            latency_ms=_ms(started),
            reasons=[Reason(code, MESSAGES.get(code, code)) for code in codes],
        )
        self.judge(result)
        result.passed = not codes
        if codes:
            result.reasons.append(Reason("liveness_failed", _("The selfie did not pass the liveness check.")))
        return result

    def check_compare(self, request: CheckRequest) -> CheckResult:
        started = time.monotonic()
        selfie = _photo_analysis(request.selfie, Subject.SELFIE, embedding=True)
        card = _photo_analysis(request.id_card, Subject.ID_CARD, embedding=True)
        selfie_faces, card_faces = selfie.faces, card.faces
        if not selfie_faces:
            raise BadInputError("no face on the selfie", code="no_face", applicant_message=MESSAGES["no_face"])
        if not card_faces:
            raise BadInputError(
                "no face on the ID card", code="no_face_on_id", applicant_message=MESSAGES["no_face_on_id"]
            )
        # The largest face on each: a card may carry a second, small ghost portrait.
        distance = FaceEngine.distance(selfie_faces[0], card_faces[0])
        result = CheckResult(
            vendor=self.name,
            kind=CheckKind.COMPARE,
            score=similarity_from_distance(distance),
            details={
                "distance": round(distance, 4),
                "selfie_faces": len(selfie_faces),
                "id_card_faces": len(card_faces),
            },
            latency_ms=_ms(started),
        )
        result.raw_response = dict(result.details, score=result.score)
        self.judge(result)
        if not result.passed:
            result.reasons.append(Reason("face_mismatch", _("The selfie does not match the ID card portrait.")))
        return result

    def check_document(self, request: CheckRequest) -> CheckResult:
        """Read the card's front (and back, when taken) and check what it says by itself."""
        started = time.monotonic()
        if request.id_card_back is None:
            front, back = _text(request.id_card, portrait=True), None
        else:
            # Both sides at once: the models run outside the GIL, so two cores read in the time of one page.
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ocr") as pool:
                front, back = pool.map(_text, (request.id_card, request.id_card_back), (True, False))
        return document_result(self.name, reader.read(front, back, today=timezone.localdate()), started)

    def check_screening(self, request: CheckRequest) -> CheckResult:
        """The person against the operator's imported lists (the pipeline passes their search).

        The hits name list entries (published data) and why they matched; the person's own data
        stays out of the result."""
        started = time.monotonic()
        person = request.person
        missing = "screening_no_lists" if request.screen is None else None
        # A name with nothing to spell (no letters in any script) is not screened: it would match nothing.
        spelt = person is not None and any(spellings(name) for name in person.names)
        missing = missing or (None if spelt else "screening_no_name")
        if missing:
            return CheckResult(
                vendor=self.name,
                kind=CheckKind.SCREENING,
                status=ResultStatus.NOT_APPLICABLE,
                reasons=[Reason(missing, SCREENING_MESSAGES[missing])],
                latency_ms=_ms(started),
            )
        hits = request.screen(person)
        return CheckResult(
            vendor=self.name,
            kind=CheckKind.SCREENING,
            score=max((h["score"] for h in hits), default=0.0),
            passed=not hits,
            details={"hits": hits, "screened": person.source},
            reasons=[Reason("screening_match", SCREENING_MESSAGES["screening_match"])] if hits else [],
            raw_response={"hits": len(hits)},
            latency_ms=_ms(started),
        )


def _text(image: ImageInput, portrait: bool) -> list:
    """The lines on a card: from its stored analysis when the pipeline gives one, else read here,
    the front turned upright as its portrait is; a back, or a front whose portrait is not found,
    as its text says."""
    found = image.analysis
    if found is not None:
        if not found.has_text:  # the photo is read only for what its analysis lacks
            add_text(found, image.data, portrait=portrait)
        return found.text
    return card_text(image.data, portrait=portrait)


# A failed check of the document by itself -> the reason it gives.
DOCUMENT_REASONS = {
    "number_check_digit": "document_number_invalid",
    "mrz_document_number": "mrz_check_failed",
    "mrz_date_of_birth": "mrz_check_failed",
    "mrz_expiry_date": "mrz_check_failed",
    "mrz_optional": "mrz_check_failed",
    "mrz_composite": "mrz_check_failed",
    "number_date_of_birth": "document_inconsistent",
    "number_sex": "document_inconsistent",
    "front_back": "document_inconsistent",
    "printed_mrz": "document_inconsistent",
}


def document_result(vendor: str, reading: reader.Reading, started: float, day: datetime.date | None = None):
    """A document check's result from a reading: what was read goes in `document` (personal data),
    what was checked in details and reasons (no personal data)."""
    day = day or timezone.localdate()
    codes = []
    for check in reading.checks:
        code = DOCUMENT_REASONS.get(check["check"])
        if check["outcome"] == reader.FAILED and code and code not in codes:
            codes.append(code)
    needs_back = reading.sides["back"] == "absent" and reader.NEEDS_BACK.get(reading.type, False)
    if not reading.readable:
        codes.append("document_unreadable")
    details = {
        "type": reading.type,
        "sides": reading.sides,
        "checks": reading.checks,
        "fields_read": sorted(reading.fields),
        "missing_fields": reading.missing_fields(),
        "confidence": {name: round(f.confidence, 3) for name, f in reading.fields.items()},
        "needs_back": needs_back,
        "long_term": reading.long_term,
        "names_truncated": reading.names_truncated,
        # What the policy's expiry and minimum-age rules need, without the dates themselves.
        "read_on": day.isoformat(),
        "age_years": reader.age_on(reading.value("date_of_birth"), day),
        "days_to_expiry": reader.days_to_expiry(reading.value("expiry_date"), day),
    }
    reasons = [Reason(code, MESSAGES.get(code) or DOCUMENT_MESSAGES[code]) for code in codes]
    if needs_back and "document_unreadable" in codes:
        reasons.append(reason("document_back_needed"))
    return CheckResult(
        vendor=vendor,
        kind=CheckKind.DOCUMENT,
        passed=not codes,
        details=details,
        reasons=reasons,
        raw_response={k: details[k] for k in ("type", "sides", "checks", "fields_read")},
        latency_ms=_ms(started),
        document={"type": reading.type, "fields": {name: f.as_dict() for name, f in reading.fields.items()}},
    )


# For staff and the operator's systems only: a list match is never told to the applicant.
SCREENING_MESSAGES = {
    "screening_match": _("The name matches an entry of a sanctions or PEP list."),
    "screening_no_name": _("No name to screen: none was read from the document or declared, or it has no letters."),
    "screening_no_lists": _("No sanctions or PEP list is imported: nothing to screen against."),
}

DOCUMENT_MESSAGES = {
    "document_number_invalid": _("The document number's check digit is wrong."),
    "mrz_check_failed": _("A check digit of the machine-readable zone is wrong."),
    "document_inconsistent": _("The document's fields do not agree with each other."),
}


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
