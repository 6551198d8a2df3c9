"""Run one case through the same services and task code, in this process.

Exit 0 when a decision was reached, 2 when an input was rejected (reason on stderr).
"""

import json
import logging
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kyc.celery import app as celery_app
from onboarding.models import Photo, Verification
from onboarding.selectors import cases as selectors
from onboarding.selectors.identity import document_view
from onboarding.services.applicant.images import ImageRejected, normalize_image
from onboarding.services.compliance import audit
from onboarding.services.identity import documents
from onboarding.services.pipeline.verifications import submit_new_applicant
from vendors.registry import BACKENDS


class Command(BaseCommand):
    help = (
        "Verify one selfie against one ID card photo (and its back), read the document, compare it with the "
        "declared data, and print the checks and the decision."
    )

    def add_arguments(self, parser):
        parser.add_argument("--selfie", required=True, type=Path)
        parser.add_argument("--id-card", required=True, type=Path)
        parser.add_argument(
            "--id-card-back", type=Path, help="the card's back (a Chinese ID card's validity, a TD1 MRZ)"
        )
        parser.add_argument("--name", help="the applicant's declared full name")
        parser.add_argument("--document-number", help="the declared document number")
        parser.add_argument("--date-of-birth", help="the declared date of birth, YYYY-MM-DD")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--vendors", help="comma-separated vendors for this run (default: the configured ones)")
        parser.add_argument("--external-ref", default="kyc_verify")

    def handle(self, *args, **options):
        vendors = None
        if options["vendors"]:
            vendors = [v.strip() for v in options["vendors"].split(",") if v.strip()]
            unknown = [v for v in vendors if v not in BACKENDS]
            if unknown:
                raise CommandError(f"unknown vendor(s): {', '.join(unknown)}; known: {', '.join(sorted(BACKENDS))}")
        try:
            declared = documents.clean_declared(
                full_name=options["name"],
                document_number=options["document_number"],
                date_of_birth=options["date_of_birth"],
            )
        except documents.DeclaredDataError as exc:
            raise CommandError(str(exc)) from None
        images = {}
        for name, kind in (
            ("selfie", Photo.Kind.SELFIE),
            ("id_card", Photo.Kind.ID_CARD),
            ("id_card_back", Photo.Kind.ID_CARD_BACK),
        ):
            path = options[name]
            if path is None:
                continue
            try:
                images[kind] = normalize_image(path.read_bytes())
            except OSError as exc:
                self.stderr.write(f"{name}: cannot read {path}: {exc.strerror}")
                sys.exit(2)
            except ImageRejected as exc:
                self.stderr.write(f"{name}: {exc.message} ({exc.code})")
                sys.exit(2)

        # The pipeline's own tasks, run in this process instead of on a worker; their per-task log lines are noise here.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        celery_app.conf.task_always_eager = True
        celery_app.conf.task_eager_propagates = True
        actor = audit.Actor.system("kyc_verify")
        verification = submit_new_applicant(
            images=images,
            declared=declared,
            consent_version="operator:kyc_verify",
            external_ref=options["external_ref"],
            channel=Verification.Channel.CLI,
            actor=actor,
            vendors=vendors,
        )
        verification = selectors.verification_with_details(verification.pk)
        summary = selectors.verification_summary(verification, for_client=False)
        summary.update(
            risk_level=verification.risk_level or None,
            risk_reasons=verification.risk_reasons,
            document=document_view(verification),
        )
        if summary["document"] and summary["document"]["fields"]:
            documents.record_viewed(verification, actor=actor, purpose="kyc_verify")
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
        else:
            self._print_table(summary)
        if summary["decision"] is None:
            sys.exit(1)

    def _print_table(self, s):
        w = self.stdout.write
        w(f"verification {s['id']}: {s['status']} (decision: {s['decision']}, policy {s['policy_version']})")
        for r in s["reasons"]:
            w(f"  reason  {r['code']}: {r['message']}")
        w(f"  {'kind':9} {'subject':8} {'vendor':8} {'status':15} {'score':>7} {'threshold':>9} passed")
        for c in s["checks"]:
            score = "-" if c["score"] is None else f"{c['score']:.2f}"
            threshold = "-" if c["threshold"] is None else f"{c['threshold']:.2f}"
            w(
                f"  {c['kind']:9} {c['subject']:8} {c['vendor']:8} {c['status']:15} {score:>7} {threshold:>9} "
                f"{c['passed']}"
            )
            for r in c["reasons"]:
                w(f"      {r['code']}: {r['message']}")
        w(f"  risk level {s['risk_level']}: {', '.join(r['code'] for r in s['risk_reasons']) or '-'}")
        document = s["document"]
        if document:
            w(f"  document {document['type']}")
            for name, value in document["fields"].items():
                w(f"    {name:18} {value}")
            for c in document["checks"]:
                w(f"    check {c['check']:22} {c['outcome']}")
