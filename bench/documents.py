"""Identity documents: a labelled set of generated documents, and what reading one costs.

generate: Chinese ID cards (front and back), TD3 passport pages, TD1, TD2 and French cards with known fields,
          drawn by tests/documents/pages.py and photographed plain, at an angle and tilted, in low
          light and as JPEG quality 40, some with a wrong check digit or expired; each NAME.jpg (+
          NAME.back.jpg) beside NAME.json, for `manage.py evaluate_documents DIR`.
cost:     CPU and wall time to read one page (vendors.documents.ocr) with 1 and 2 onnxruntime
          threads, on the generated pages; and the local engine's whole document check of a
          Chinese card, front and back (read side by side), which is the read time a one-call API
          case waits for.

    python bench/documents.py generate DIR [--count 48]
    python bench/documents.py cost [--pages 24]
"""

import argparse
import datetime
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, percentile, report, setup_django  # noqa: E402

# (Han name, surname in pinyin, given names in pinyin)
NAMES = [
    ("张伟", "ZHANG", "WEI"),
    ("王芳", "WANG", "FANG"),
    ("李娜", "LI", "NA"),
    ("刘洋", "LIU", "YANG"),
    ("陈静", "CHEN", "JING"),
    ("欧阳明", "OUYANG", "MING"),
    ("赵丽华", "ZHAO", "LIHUA"),
    ("黄晓东", "HUANG", "XIAODONG"),
]
ADDRESSES = ["北京市东城区景山前街4号", "上海市浦东新区世纪大道100号", "广东省广州市天河区体育西路189号"]
AUTHORITIES = ["北京市公安局东城分局", "上海市公安局浦东分局", "广州市公安局天河分局"]
CONDITIONS = {
    "plain": {},
    "angle": {"angle": 0.6, "tilt": 12},
    "low_light": {"light": 0.45},
    "jpeg40": {"quality": 40},
    "all": {"angle": 0.5, "tilt": -8, "light": 0.5, "quality": 40},
}


def person(rnd, pages):
    han, surname, given = rnd.choice(NAMES)
    sex = rnd.choice("MF")
    born = datetime.date(rnd.randint(1950, 2004), rnd.randint(1, 12), rnd.randint(1, 28))
    issued = datetime.date(rnd.randint(2012, 2024), rnd.randint(1, 12), rnd.randint(1, 28))
    expires = issued.replace(year=issued.year + 20)
    return pages.Person(
        name=han,
        latin_surname=surname,
        latin_given=given,
        sex=sex,
        born=born,
        address=rnd.choice(ADDRESSES),
        authority=rnd.choice(AUTHORITIES),
        issued=issued,
        expires=expires,
        number=pages.cn_number(
            born, sex, region=rnd.choice(["110101", "310115", "440106"]), sequence=rnd.randint(1, 99)
        ),
        passport_number="E" + "".join(str(rnd.randint(0, 9)) for _ in range(8)),
    )


KINDS = ["cn_resident_id", "passport", "id_card_td1", "id_card_td2", "id_card_fr"]


def french_validity(p, *, by_law=False) -> datetime.date:
    """A French card's validity as printed (ten years, fifteen for an adult's from 2014), or as the
    law has it (cards issued to adults from 2004 to 2013: five years more than printed)."""
    adult = (p.issued - p.born).days >= 18 * 365.25
    years = 15 if adult and p.issued.year >= 2014 else 10
    if by_law and adult and datetime.date(2004, 1, 2) <= p.issued <= datetime.date(2013, 12, 31):
        years += 5
    return p.issued.replace(year=p.issued.year + years) - datetime.timedelta(days=1)


def generate(directory: Path, count: int, seed: int = 7) -> None:
    from tests.documents import pages

    directory.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    faces = ["obama_1.jpg", "biden_1.jpg", "leslie_1.jpg"]
    for i in range(count):
        p = person(rnd, pages)
        kind = KINDS[i % len(KINDS)]
        condition = list(CONDITIONS)[i // len(KINDS) % len(CONDITIONS)]  # every kind in every condition
        flaw = rnd.choice([None, None, None, "check_digit", "expired"])
        if kind == "id_card_td1" and flaw == "check_digit":
            flaw = None  # the generator draws TD1 zones with good digits only
        checks = {}
        if flaw == "expired":
            p.issued, p.expires = datetime.date(2001, 5, 1), datetime.date(2021, 5, 1)
        face = faces[i % len(faces)]
        back = None
        if kind == "cn_resident_id":
            if flaw == "check_digit":
                p.number = pages.cn_number(p.born, p.sex, valid=False)
                checks["number_check_digit"] = "failed"
            front, back = pages.cn_front(p, face=face), pages.cn_back(p)
            fields = {
                "full_name": p.name,
                "sex": p.sex,
                "date_of_birth": p.born.isoformat(),
                "document_number": p.number,
                "address": p.address,
                "issuing_authority": p.authority,
                "expiry_date": p.expires.isoformat(),
            }
        else:
            corrupt = "number" if flaw == "check_digit" else None
            if kind == "passport":
                front = pages.passport(p, face=face, corrupt=corrupt)
            elif kind == "id_card_td2":  # printed data and zone on one side
                front = pages.td2_card(p, face=face, corrupt=corrupt)
            elif kind == "id_card_fr":  # as TD2, in its own layout; its validity on the back
                if flaw != "expired":  # the model was issued until 2021
                    p.issued = p.issued.replace(year=2005 + i % 16)
                p.expires = french_validity(p)
                front, back = pages.fr_card(p, face=face, corrupt=corrupt), pages.fr_back(p)
            else:
                front, back = pages.td1_front(p, face=face), pages.td1_back(p)
            fields = {
                "surname": p.latin_surname,
                "given_names": p.latin_given,
                "date_of_birth": p.born.isoformat(),
                "sex": p.sex,
                "nationality": p.nationality,
                "expiry_date": p.expires.isoformat(),
            }
            if kind == "id_card_fr":
                fields.update(nationality="FRA", issue_date=p.issued.isoformat())
                fields["expiry_date"] = french_validity(p, by_law=True).isoformat()
            if flaw == "check_digit":
                checks["mrz_document_number"] = "failed"
            else:
                fields["document_number"] = pages.fr_number(p) if kind == "id_card_fr" else p.passport_number
        name = f"{i:03d}-{kind}-{condition}" + (f"-{flaw}" if flaw else "")
        (directory / f"{name}.jpg").write_bytes(pages.photograph(front, seed=i, **CONDITIONS[condition]))
        if back is not None:
            (directory / f"{name}.back.jpg").write_bytes(pages.photograph(back, seed=i + 1000, **CONDITIONS[condition]))
        (directory / f"{name}.json").write_text(
            json.dumps({"type": kind, "fields": fields, "checks": checks}, ensure_ascii=False, indent=1)
        )
    print(f"{count} documents in {directory}")


def cost(pages_count: int) -> None:
    from django.test import override_settings

    from vendors.documents import ocr

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), max(4, pages_count))  # every document has a page or two: enough pages
        images = sorted(Path(tmp).glob("*.jpg"))[:pages_count]
        datas = [p.read_bytes() for p in images]
        rows = []
        for threads in (1, 2):
            with override_settings(KYC_OCR_THREADS=threads):
                ocr._reader = None
                ocr.read_text(datas[0])  # load the models
                cpu, wall = [], []
                for data in datas:
                    c, w = time.process_time(), time.perf_counter()
                    ocr.read_text(data)
                    cpu.append(time.process_time() - c)
                    wall.append(time.perf_counter() - w)
            rows.append(
                {
                    "threads": threads,
                    "pages": len(datas),
                    "cpu_p50_s": round(percentile(cpu, 50), 3),
                    "cpu_p95_s": round(percentile(cpu, 95), 3),
                    "wall_p50_s": round(percentile(wall, 50), 3),
                    "wall_p95_s": round(percentile(wall, 95), 3),
                    "aim_cpu_s": 1.0,
                }
            )
        with override_settings(KYC_OCR_THREADS=1):  # the default
            ocr._reader = None
            rows.append(card_check_row(datas, images))
    report(
        "documents_cost",
        f"reading one page ({ocr.version()}): CPU and wall time",
        ["threads", "pages", "cpu_p50_s", "cpu_p95_s", "wall_p50_s", "wall_p95_s", "aim_cpu_s"],
        rows,
    )


def card_check_row(datas, images) -> dict:
    """The local engine's document check of each Chinese card (front and back), wall time."""
    import hashlib

    from vendors.base import CheckKind, CheckRequest, ImageInput, Subject
    from vendors.registry import get_backend

    def image(data):
        return ImageInput.of(data, "image/jpeg", 0, 0, hashlib.sha256(data).hexdigest())

    pairs = [
        (data, path.with_name(path.name.replace(".jpg", ".back.jpg")).read_bytes())
        for data, path in zip(datas, images)
        if "cn_resident_id" in path.name and ".back" not in path.name
    ]
    backend, wall = get_backend("local"), []
    for front, back in pairs:
        request = CheckRequest(
            CheckKind.DOCUMENT, Subject.ID_CARD, "bench", id_card=image(front), id_card_back=image(back)
        )
        started = time.perf_counter()
        backend.run(request)
        wall.append(time.perf_counter() - started)
    return {
        "threads": "1, sides in parallel",
        "pages": f"{len(pairs)} cards",
        "wall_p50_s": round(percentile(wall, 50), 3),
        "wall_p95_s": round(percentile(wall, 95), 3),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["generate", "cost"])
    parser.add_argument("directory", nargs="?", type=Path)
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--pages", type=int, default=24)
    args = parser.parse_args()
    setup_django(database=False)
    sys.path.insert(0, str(ROOT))
    if args.mode == "generate":
        if args.directory is None:
            parser.error("generate needs a folder")
        generate(args.directory, args.count)
    else:
        cost(args.pages)


if __name__ == "__main__":
    main()
