"""Measure the passive presentation-attack heuristics (vendors/pad.py).

Genuine photos are the photos in DIR (at any depth; JPEG, PNG, WebP or HEIC, turned by their EXIF
orientation), as they are and softened (a Gaussian blur of 1 px: a soft lens, a phone's beauty
mode); attacks are made from them by simulate_screen_recapture and simulate_halftone_print. Each is
measured as the selfie's quality check measures it (its analysis: the face found, turned upright if
need be). A file an upload would refuse is skipped and listed. Prints a table and writes JSON.
Synthetic attacks only: these rates say the heuristics react to the cues they look for, not how
they fare against real attackers.

    python bench/pad_heuristics.py ../shared/faces [--side 1280] [--json bench/results/pad_heuristics.json]

--side: each photo is first brought to at most that many pixels on its long side (1280, the
default); --side N --enlarge brings every photo to exactly N, enlarging the smaller ones (as a
sender that enlarges its photos would).
"""

import argparse
import io
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyc.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

from PIL import Image, ImageFilter, ImageOps  # noqa: E402


def main():
    import django

    django.setup()
    from onboarding.management.evaluation import as_stored
    from vendors.analysis import analyse
    from vendors.evaluation import photos_in
    from vendors.pad import simulate_halftone_print, simulate_screen_recapture

    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--side", type=int, default=1280)
    parser.add_argument("--enlarge", action="store_true")
    parser.add_argument("--json", type=Path, default=Path("bench/results/pad_heuristics.json"))
    args = parser.parse_args()
    makers = {
        "genuine": lambda im: im,
        # A soft lens, a phone's beauty mode, a little motion: less fine detail, no pattern.
        "genuine, softened": lambda im: im.filter(ImageFilter.GaussianBlur(1.0)),
        "screen recapture": simulate_screen_recapture,
        "halftone print": simulate_halftone_print,
    }
    rows = {name: [] for name in makers}
    skipped = []
    for path in photos_in(args.directory):
        name = path.relative_to(args.directory).as_posix()
        try:
            as_stored(path)  # what an upload would refuse is not measured
        except ValueError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        # The photo as its sender sees it (upright), before anything makes it into an attack.
        photo = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        if args.enlarge:
            k = args.side / max(photo.size)
            photo = photo.resize((round(photo.width * k), round(photo.height * k)), Image.LANCZOS)
        else:
            photo.thumbnail((args.side, args.side))
        for kind, make in makers.items():
            buf = io.BytesIO()
            make(photo).save(buf, "JPEG", quality=90)
            result = analyse(buf.getvalue(), selfie=True, embedding=False).pad
            rows[kind].append({"photo": name, **result})
    if not rows["genuine"]:
        sys.exit(f"no photo to measure in {args.directory} (skipped: {', '.join(skipped) or 'none'})")
    summary = {}
    print(f"{'set':18} {'photos':>6} {'screen_bezel':>13} {'periodic_pattern':>17} {'any flag':>9}  peak")
    for name, results in rows.items():
        n = len(results)
        rate = {flag: sum(flag in r["flags"] for r in results) / n for flag in ("screen_bezel", "periodic_pattern")}
        rate["any"] = sum(bool(r["flags"]) for r in results) / n
        summary[name] = {"photos": n, "flag_rates": rate}
        peaks = [r["face_spectral_peak"] for r in results if "face_spectral_peak" in r]
        span = f"{min(peaks)}-{max(peaks)}" if peaks else "-"
        rates = f"{rate['screen_bezel']:13.2f} {rate['periodic_pattern']:17.2f} {rate['any']:9.2f}"
        print(f"{name:18} {n:6} {rates}  {span}")
    print("genuine rows = false-alarm rates; attack rows = detection rates (synthetic attacks)")
    if skipped:
        print(f"skipped: {', '.join(skipped)}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"summary": summary, "photos": rows, "skipped": skipped}, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
