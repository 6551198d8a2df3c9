"""Generated sanctions lists and the people screened against them, with the truth known.

Entries are persons with Latin names (some with diacritics, some Arabic names in several
transliterations), Han names with their pinyin, aliases, dates of birth and nationalities. Each
probe is a person who is on the list (spelt as an applicant's document would spell them: order,
accents, another transliteration, a typo, Han for a pinyin entry) or who is not (a near miss: the
same family name with another given name, or the same name born decades apart).
"""

import dataclasses
import json
import random

FIRST = [
    "John",
    "Maria",
    "Ahmed",
    "Olga",
    "Pierre",
    "Anna",
    "Carlos",
    "Fatima",
    "Ivan",
    "Sofia",
    "Yusuf",
    "Elena",
    "Peter",
    "Aisha",
    "Dmitri",
    "Lucia",
    "Omar",
    "Ingrid",
    "Viktor",
    "Helena",
    "Rashid",
    "Marta",
    "Sergei",
    "Leila",
    "Andreas",
    "Nadia",
    "Boris",
    "Jana",
    "Khalid",
    "Irina",
    "Tomas",
    "Zainab",
    "Hans",
    "Ewa",
]
LAST = [
    "Smith",
    "Novak",
    "Haddad",
    "Petrov",
    "Dubois",
    "Schmidt",
    "Garcia",
    "Rahman",
    "Ivanov",
    "Rossi",
    "Kowalski",
    "Nasser",
    "Müller",
    "Öztürk",
    "Søndergaard",
    "Hernández",
    "Jansen",
    "Lindqvist",
    "Farouk",
    "Sokolov",
    "Bianchi",
    "Kovačević",
    "Mansour",
    "Horvath",
    "Zielinski",
    "Antonelli",
    "Karimi",
    "Bergstrom",
]
# One name, the ways it is transliterated.
ARABIC = [
    ["Mohamed", "Muhammad", "Mohammed", "Mohammad"],
    ["Hussein", "Husain", "Hussain"],
    ["Abdel Rahman", "Abdul Rahman", "Abdelrahman"],
    ["Yusuf", "Youssef", "Yousef"],
    ["Qaddafi", "Gaddafi", "Kadhafi"],
]
HAN = [("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("赵", "zhao")]
HAN_GIVEN = [
    ("伟", "wei"),
    ("建国", "jianguo"),
    ("晓明", "xiaoming"),
    ("丽", "li"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
]
COUNTRIES = ["ru", "ir", "sy", "kp", "cn", "ve", "by", "mm", "de", "fr", "us"]


@dataclasses.dataclass
class Probe:
    names: list[str]
    birth_date: str
    nationality: str
    entry_id: str | None  # the entry they are, or None


def person(rnd, i):
    kind = rnd.random()
    dob = f"{rnd.randint(1940, 1995)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    nat = rnd.choice(COUNTRIES)
    if kind < 0.15:
        (fh, fp), (gh, gp) = rnd.choice(HAN), rnd.choice(HAN_GIVEN)
        return {
            "id": f"gen-{i}",
            "names": [f"{fp.upper()} {gp.capitalize()}", fh + gh],
            "dob": dob,
            "nat": "cn",
            "han": fh + gh,
        }
    if kind < 0.35:
        variants = rnd.choice(ARABIC)
        last = rnd.choice(LAST)
        return {
            "id": f"gen-{i}",
            "names": [f"{variants[0]} {last}"] + [f"{v} {last}" for v in variants[1:2]],
            "dob": dob,
            "nat": nat,
            "variants": variants,
            "last": last,
        }
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    middle = rnd.choice(FIRST) if rnd.random() < 0.3 else ""
    names = [" ".join(p for p in (first, middle, last) if p)]
    if rnd.random() < 0.3:
        names.append(f"{last}, {first}")
    return {"id": f"gen-{i}", "names": names, "dob": dob if rnd.random() < 0.85 else dob[:4], "nat": nat}


def make(n=3000, probes=300, seed=7):
    """(entries as FtM lines, probes)."""
    rnd = random.Random(seed)
    people = [person(rnd, i) for i in range(n)]
    lines = [
        json.dumps(
            {
                "id": p["id"],
                "schema": "Person",
                "caption": p["names"][0],
                "properties": {
                    "name": p["names"][:1],
                    "alias": p["names"][1:],
                    "birthDate": [p["dob"]],
                    "nationality": [p["nat"]],
                },
                "datasets": ["generated"],
            },
            ensure_ascii=False,
        )
        for p in people
    ]
    lines.append(json.dumps({"id": "co-1", "schema": "Company", "properties": {"name": ["Acme Trading LLC"]}}))
    years = {}  # a name's birth years on the list: a near miss by date is born far from all of them
    for p in people:
        for name in p["names"]:
            years.setdefault(name, set()).add(int(p["dob"][:4]))
    out = []
    for _ in range(probes):
        p = rnd.choice(people)
        dob = p["dob"] if len(p["dob"]) == 10 else f"{p['dob']}-06-15"
        how = rnd.random()
        if how < 0.5:  # on the list, spelt another way
            if "han" in p:
                name = p["han"] if rnd.random() < 0.5 else p["names"][0].title()
            elif "variants" in p:
                name = f"{rnd.choice(p['variants'])} {p['last']}"
            else:
                parts = p["names"][0].split()
                name = " ".join(reversed(parts)) if rnd.random() < 0.5 else _typo(rnd, p["names"][0])
                name = name.replace("ü", "u").replace("ö", "o").replace("ø", "o").replace("č", "c")
            out.append(Probe([name], dob, p["nat"], p["id"]))
        elif how < 0.75:  # a near miss: same family name, another given name, another birth date
            last = p["names"][0].split()[-1]
            first = rnd.choice(["Quentin", "Beatrix", "Ludmila", "Gunnar", "Xavier", "Priya", "Oskar", "Wilhelmina"])
            out.append(Probe([f"{first} {last}"], f"{rnd.randint(1996, 2005)}-03-03", "gb", None))
        else:  # the same name, born decades apart: the date of birth says it is someone else
            taken = years[p["names"][0]]
            other = next(y for y in range(1900, 2010) if all(abs(y - t) > 20 for t in taken))
            out.append(Probe([p["names"][0]], f"{other}-07-07", p["nat"], None))
    return lines, out


def _typo(rnd, name):
    i = rnd.randrange(1, len(name) - 1)
    while not name[i].isalpha():
        i = rnd.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :] if name[i + 1 : i + 2].isalpha() else name
