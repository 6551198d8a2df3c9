"""Importing sanctions and PEP lists: three formats, versions that replace a source, an audit."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from onboarding.models import AuditEvent, ScreeningEntry, ScreeningKey, ScreeningListVersion, ScreeningSource
from onboarding.services.compliance import audit
from onboarding.services.screening import lists
from vendors.screening import formats, names

pytestmark = pytest.mark.django_db

ADMIN = audit.Actor.system("test")
UN_LIST = Path(__file__).parent / "data" / "un_consolidated.xml"  # made-up people in the UN list's XML
OFAC_LIST = Path(__file__).parent / "data" / "ofac_sdn.xml"  # and in OFAC's SDN.XML
EU_LIST = Path(__file__).parent / "data" / "eu_fsf.xml"  # and in the EU's Financial Sanctions Files
UK_LIST = Path(__file__).parent / "data" / "uk_sanctions_list.xml"  # and in the UK Sanctions List
CH_LIST = Path(__file__).parent / "data" / "ch_seco.xml"  # and in Switzerland's (SECO's) list
CA_LIST = Path(__file__).parent / "data" / "ca_sema.xml"  # and in Canada's consolidated autonomous list


def ftm(*people):
    return "\n".join(
        json.dumps(
            {"id": pid, "schema": schema, "properties": props, "datasets": ["un_sc_sanctions"]},
            ensure_ascii=False,
        )
        for pid, schema, props in people
    ).encode()


def imported(data: bytes, source="un-sc", fmt=None, shrink=False):
    return lists.import_file(io.BytesIO(data), source=source, actor=ADMIN, fmt=fmt, file_name="list", shrink=shrink)


def test_ftm_entities_become_entries_with_their_aliases_and_only_persons_count():
    version = imported(
        ftm(
            (
                "Q1",
                "Person",
                {
                    "name": ["Viktor Bout"],
                    "alias": ["Виктор Бут", "Victor Butt"],
                    "birthDate": ["1967-01-13"],
                    "nationality": ["ru"],
                },
            ),
            ("Q2", "Company", {"name": ["Air Cess"]}),
            ("Q3", "Person", {"name": ["王建国"], "birthDate": ["1961"]}),
        )
    )
    assert (version.version, version.total, version.added, version.changed, version.removed) == (1, 2, 2, 0, 0)
    bout = ScreeningEntry.objects.get(key="Q1")
    assert bout.names == ["Viktor Bout", "Виктор Бут", "Victor Butt"] and bout.birth_dates == ["1967-01-13"]
    assert bout.nationalities == ["ru"] and bout.datasets == ["un_sc_sanctions"]
    keys = set(ScreeningKey.objects.filter(entry=bout).values_list("key", flat=True))
    assert names.keys("viktor bout") | names.keys("victor butt") <= keys  # name and aliases, both forms
    wang = set(ScreeningKey.objects.filter(entry__key="Q3").values_list("key", flat=True))
    assert {"王建国"} | names.keys("wang jianguo") <= wang  # Han and its pinyin


def test_a_former_name_on_an_ftm_entity_is_a_name_it_is_screened_by():
    imported(ftm(("Q1", "Person", {"name": ["Maria Ivanova"], "previousName": ["Maria Petrova"], "alias": ["M. I."]})))
    entry = ScreeningEntry.objects.get(key="Q1")
    assert entry.names == ["Maria Ivanova", "M. I.", "Maria Petrova"]
    assert names.keys("maria petrova") <= set(ScreeningKey.objects.filter(entry=entry).values_list("key", flat=True))


def test_reimporting_a_source_replaces_it_and_says_what_changed():
    imported(ftm(("A", "Person", {"name": ["Anna Schmidt"]}), ("B", "Person", {"name": ["Boris Petrov"]})))
    second = imported(
        ftm(
            ("A", "Person", {"name": ["Anna Schmidt"]}),  # the same
            ("B", "Person", {"name": ["Boris Petrov"], "alias": ["Borys Petrow"]}),  # an alias added
            ("C", "Person", {"name": ["Carla Rossi"]}),  # new; and nothing says D was ever there
        )
    )
    assert (second.version, second.added, second.changed, second.removed, second.total) == (2, 1, 1, 0, 3)
    third = imported(ftm(("C", "Person", {"name": ["Carla Rossi"]})), shrink=True)  # two of three removed
    assert (third.added, third.changed, third.removed, third.total) == (0, 0, 2, 1)
    assert list(ScreeningEntry.objects.values_list("key", flat=True)) == ["C"]
    assert not ScreeningKey.objects.filter(key__in=names.keys("boris petrov")).exists()  # gone with the entry
    source = ScreeningSource.objects.get(name="un-sc")
    assert (source.version, source.entry_count) == (3, 1)
    assert ScreeningEntry.objects.get(key="C").changed_version == 2  # unchanged since it was added
    assert ScreeningListVersion.objects.filter(source=source).count() == 3
    events = AuditEvent.objects.filter(action="screening_list_imported").order_by("id")
    assert [e.data["version"] for e in events] == [1, 2, 3]
    assert events.last().data["removed"] == 2
    assert len(events.last().data["file_sha256"]) == 64


def test_other_sources_are_left_alone():
    imported(ftm(("A", "Person", {"name": ["Anna Schmidt"]})), source="eu-fsf")
    imported(ftm(("X", "Person", {"name": ["Xavier Dupont"]})), source="in-house")
    imported(ftm(), source="in-house", shrink=True)  # emptied
    assert list(ScreeningEntry.objects.values_list("key", flat=True)) == ["A"]


def test_targets_simple_csv():
    data = (
        "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,"
        "first_seen,last_seen,last_change\n"
        'NK-1,Person,Kim Jong Un,"Kim Jong-un;김정은",1984-01-08,kp,,,,,,"US OFAC SDN",'
        "2020-01-01,2026-01-01,2026-01-01\n"
        "NK-2,Organization,Korea Mining,,,kp,,,,,,US OFAC SDN,,,\n"
    ).encode()
    version = imported(data)
    assert version.total == 1
    kim = ScreeningEntry.objects.get(key="NK-1")
    assert kim.names == ["Kim Jong Un", "Kim Jong-un", "김정은"] and kim.nationalities == ["kp"]


def test_the_countries_of_targets_simple_csv_count_only_in_common():
    """Its `countries` are every country linked to the person (nationality, residence …): the one an
    applicant is a citizen of may not be there, and says nothing against them; one that is counts."""
    from onboarding.services.screening import search
    from vendors.screening.matching import Person

    header = "id,schema,name,aliases,birth_date,countries,dataset\n"
    imported((header + "B-1,Person,Viktor Bout,,1967-01-13,ae;tj,UN SC\n").encode(), source="simple")
    imported(b"name,date of birth,nationality\nViktor Bout,1967-01-13,ae\n", source="in-house")
    why = {
        h.entry.source.name: h.match.why["nationality"]
        for h in search.screen(Person.of("Viktor Bout", "1967-01-13", "RUS"))
    }
    assert why == {"simple": "unknown", "in-house": "differs"}
    assert {s.name: s.format for s in ScreeningSource.objects.all()} == {"simple": "simple", "in-house": "csv"}
    listed = ScreeningEntry.objects.filter(key="B-1")
    [hit] = search.screen(Person.of("Viktor Bout", "1967-01-13", "ARE"), entries=listed)
    assert hit.match.why["nationality"] == "same"


def test_a_plain_csv_for_in_house_lists_with_or_without_a_header():
    with_header = b"name,date of birth,nationality\nJane Roe,1980-02-02,GB\nRichard Roe,,\n"
    assert imported(with_header, source="in-house").total == 2
    assert ScreeningEntry.objects.get(caption="Jane Roe").nationalities == ["gb"]
    bare = b"Jane Roe,1980-02-02,gb\n"
    version = imported(bare, source="in-house", fmt="csv")
    assert (version.total, version.removed) == (1, 1)  # Richard Roe left the list; Jane stayed (same key)


def test_an_in_house_header_is_read_as_people_write_it():
    data = b"Full_Name,DOB,Citizenship,AKA,Notes\nViktor Bout,1967-01-13,RU,Victor Bout;Viktor But,arms\n"
    assert imported(data, source="in-house").total == 1
    bout = ScreeningEntry.objects.get(caption="Viktor Bout")
    assert (bout.names, bout.birth_dates, bout.nationalities) == (
        ["Viktor Bout", "Victor Bout", "Viktor But"],
        ["1967-01-13"],
        ["ru"],
    )
    # A header that names no name column is not taken for a listed person called "Surname".
    with pytest.raises(formats.ListFormatError, match="line 1: the header has no name column"):
        imported(b"surname,date of birth,nationality\nBout,1967-01-13,ru\n", source="in-house")


def test_an_in_house_list_saved_by_a_spreadsheet_is_read_as_it_was_written():
    # Semicolons where the comma is the decimal mark, with or without a header; a comma in a name.
    imported(b"Name;Date of birth;Nationality\nViktor Bout;1967-01-13;ru\n", source="eu-office")
    imported(b"BOUT, Viktor;1967-01-13;ru\n", source="eu-office-bare", fmt="csv")
    # Excel's "Unicode text": UTF-16 with its byte-order mark, tab-separated.
    imported("name\tdob\tnationality\nВиктор Бут\t1967-01-13\tru\n".encode("utf-16"), source="excel")
    for source, name in (("eu-office", "Viktor Bout"), ("eu-office-bare", "BOUT, Viktor"), ("excel", "Виктор Бут")):
        entry = ScreeningEntry.objects.get(source__name=source)
        assert (entry.names, entry.birth_dates, entry.nationalities) == ([name], ["1967-01-13"], ["ru"]), source


@pytest.mark.parametrize(
    "before,bad,line",
    [
        ("name,date of birth,nationality\nAnna Schmidt,1970,de\n", '"{x}",1970,ru\n', 3),
        ("Anna Schmidt,1970,de\n", '"{x}",1970,ru\n', 2),  # no header
        ("id,schema,name,aliases\n1,Person,Anna Schmidt,\n", '2,Person,"{x}",\n', 3),  # targets.simple.csv
    ],
    ids=["plain", "headless", "simple"],
)
def test_a_line_csv_cannot_read_refuses_the_file_with_its_number(before, bad, line):
    data = before + bad.format(x="x" * 200_000)  # a field over csv's limit of 128 KiB
    with pytest.raises(formats.ListFormatError, match=f"line {line}: not readable as CSV .field larger"):
        imported(data.encode(), source="oversized")
    assert not ScreeningSource.objects.filter(name="oversized").exists()


@pytest.mark.parametrize(
    "data",
    [
        'name,date of birth\nAnna Schmidt,1970\n"Viktor Bout,1967-01-13\nKim Jong Un,1984\nOleg Petrov,1975\n',
        'id,schema,name,aliases\n1,Person,Anna Schmidt,\n2,Person,"Viktor Bout,\n3,Person,Kim Jong Un,\n',
    ],
    ids=["plain", "simple"],
)
def test_a_quote_left_open_refuses_the_file_rather_than_swallow_the_lines_after_it(data):
    with pytest.raises(formats.ListFormatError, match="line 3: a name runs over several lines"):
        imported(data.encode(), source="open-quote")


def test_an_entity_written_by_hand_with_single_values_is_read_and_a_malformed_one_refused():
    imported(ftm(("B-1", "Person", {"name": "Viktor Bout", "birthDate": "1967-01-13", "nationality": "ru"})))
    bout = ScreeningEntry.objects.get(key="B-1")
    assert (bout.names, bout.birth_dates, bout.nationalities) == (["Viktor Bout"], ["1967-01-13"], ["ru"])
    for props, error in (
        ({"name": {"en": "Viktor Bout"}}, "line 1: name is not a list"),
        (["Viktor Bout"], "line 1: properties"),
    ):
        with pytest.raises(formats.ListFormatError, match=error):
            imported(ftm(("B-2", "Person", props)), source="malformed")
    assert not ScreeningSource.objects.filter(name="malformed").exists()


def test_a_list_not_in_utf8_is_refused_rather_than_read_with_letters_replaced():
    with pytest.raises(formats.ListFormatError, match="not UTF-8"):
        imported("name,date of birth\nJosé Müller,1970-01-01\n".encode("cp1252"), source="legacy")
    assert not ScreeningSource.objects.filter(name="legacy").exists()


def test_an_in_house_date_of_birth_in_another_form_is_refused_with_its_line():
    # 13/01/1967 compared as written would be "another year" and let the listed person pass.
    for dob in ("13/01/1967", "1967-13-01", "1967-02-30", "67-01-13", "Jan 13 1967"):
        with pytest.raises(formats.ListFormatError, match=f"line 3: date of birth '{dob}' is not YYYY-MM-DD"):
            imported(f"name,date of birth\nJane Roe,1980-02-02\nViktor Bout,{dob}\n".encode(), source="in-house")
    with pytest.raises(formats.ListFormatError, match="line 1: date of birth '13.01.1967'"):
        imported(b"Viktor Bout,13.01.1967,ru\n", source="in-house", fmt="csv")
    assert not ScreeningSource.objects.filter(name="in-house").exists()
    version = imported(
        b"name,date of birth\nViktor Bout,1967\nJane Roe,1980-02\nJohn Roe,1970-01-31\n", source="in-house"
    )
    assert version.total == 3


def test_a_file_that_is_not_a_list_is_refused_and_changes_nothing():
    imported(ftm(("A", "Person", {"name": ["Anna Schmidt"]})))
    with pytest.raises(formats.ListFormatError, match="line 2: not JSON"):
        imported(ftm(("A", "Person", {"name": ["Anna Schmidt"]})) + b"\n{broken")
    assert ScreeningSource.objects.get(name="un-sc").version == 1  # the import was one transaction
    assert ScreeningEntry.objects.count() == 1


def test_the_command_imports_searches_and_lists(tmp_path):
    path = tmp_path / "ofac-sdn.ftm.json"
    path.write_bytes(ftm(("Q1", "Person", {"name": ["Viktor Bout"], "birthDate": ["1967-01-13"]})))
    out = io.StringIO()
    call_command("kyc_screening", "import", str(path), stdout=out)
    assert "ofac-sdn version 1: 1 entries (1 added, 0 changed, 0 removed)" in out.getvalue()
    out = io.StringIO()
    call_command("kyc_screening", "search", "Victor Bout", "--dob", "1967-01-13", "--json", stdout=out)
    (hit,) = json.loads(out.getvalue())
    assert hit["list_id"] == "Q1" and hit["why"]["dob"] == "same date"
    out = io.StringIO()
    call_command("kyc_screening", "lists", stdout=out)
    assert "ofac-sdn" in out.getvalue() and "1 entries" in out.getvalue()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("kyc_screening", "import", str(tmp_path / "missing.json"))


def test_the_admin_imports_a_list_for_whoever_may(client, django_user_model):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from onboarding.roles import ensure_roles
    from tests.admin.test_review import user_in

    ensure_roles()
    url = reverse("admin:onboarding_screeningsource_import")
    client.force_login(user_in(django_user_model, "Reviewer", "rev"))
    assert client.get(url).status_code == 403
    client.force_login(user_in(django_user_model, "KYC administrator", "admin"))
    upload = SimpleUploadedFile("sdn.json", ftm(("Q1", "Person", {"name": ["Viktor Bout"]})))
    r = client.post(url, {"file": upload, "source": "ofac-sdn", "format": ""})
    assert r.status_code == 302
    assert ScreeningEntry.objects.get().key == "Q1"
    event = AuditEvent.objects.get(action="screening_list_imported")
    assert (event.actor_type, event.actor) == ("staff", "admin")
    bad = SimpleUploadedFile("bad.json", b"{not json")
    r = client.post(url, {"file": bad, "source": "ofac-sdn", "format": "ftm"})
    assert r.status_code == 200 and "not JSON" in r.content.decode()
    assert client.get(reverse("admin:onboarding_screeningsource_changelist")).status_code == 200
    assert client.get(reverse("admin:onboarding_screeningentry_changelist") + "?q=Bout").status_code == 200


def test_a_file_that_would_remove_most_of_a_list_is_refused_unless_the_list_really_shrank(
    tmp_path, client, django_user_model
):
    people = [(f"P{i}", "Person", {"name": [f"Person Number{i} Listed"]}) for i in range(10)]
    imported(ftm(*people))
    # A file cut short (here after four entries), or empty: most entries would stop being screened.
    for data in (ftm(*people[:4]), b""):
        with pytest.raises(lists.ListShrinkError, match="would remove"):
            imported(data)
        assert (ScreeningSource.objects.get().version, ScreeningEntry.objects.count()) == (1, 10)
    assert imported(ftm(*people[:5])).removed == 5  # half: a list may change that much
    path = tmp_path / "un-sc.json"
    path.write_bytes(ftm(*people[:1]))
    with pytest.raises(CommandError, match="would remove 4"):
        call_command("kyc_screening", "import", str(path))
    call_command("kyc_screening", "import", str(path), "--shrink", stdout=io.StringIO())
    assert ScreeningEntry.objects.count() == 1
    # In the admin, the importer ticks that the list really is much shorter.
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from onboarding.roles import ensure_roles
    from tests.admin.test_review import user_in

    ensure_roles()
    imported(ftm(*people), source="pep")
    client.force_login(user_in(django_user_model, "KYC administrator", "admin"))
    url = reverse("admin:onboarding_screeningsource_import")
    form = {"source": "pep", "format": ""}
    r = client.post(url, {**form, "file": SimpleUploadedFile("pep.json", ftm(*people[:2]))})
    assert r.status_code == 200 and "would remove 8" in r.content.decode()
    r = client.post(url, {**form, "file": SimpleUploadedFile("pep.json", ftm(*people[:2])), "shrink": "on"})
    assert r.status_code == 302 and ScreeningEntry.objects.filter(source__name="pep").count() == 2


def test_the_demo_set_up_imports_a_made_up_list_once(settings):
    settings.DEBUG = True
    call_command("kyc_demo_setup", stdout=io.StringIO())
    call_command("kyc_demo_setup", stdout=io.StringIO())
    source = ScreeningSource.objects.get()
    assert (source.name, source.version, source.entry_count) == ("demo", 1, 3)


def test_entries_in_other_scripts_imported_earlier_are_keyed_again_by_the_migration():
    import importlib

    from django.apps import apps

    imported(ftm(("R1", "Person", {"name": ["Сергей Шойгу"]}), ("A", "Person", {"name": ["Anna Schmidt"]})))
    ScreeningKey.objects.filter(entry__key="R1").delete()  # as keyed before names in Cyrillic were spelt
    anna = set(ScreeningKey.objects.filter(entry__key="A").values_list("key", flat=True))
    importlib.import_module("onboarding.migrations.0029_screening_keys_in_other_scripts").rekey(apps, None)
    shoygu = set(ScreeningKey.objects.filter(entry__key="R1").values_list("key", flat=True))
    assert names.keys("sergey shoygu") <= shoygu
    assert set(ScreeningKey.objects.filter(entry__key="A").values_list("key", flat=True)) == anna  # left alone


def test_entries_with_greek_names_imported_earlier_are_keyed_again_by_the_migration():
    import importlib

    from django.apps import apps

    imported(ftm(("G1", "Person", {"name": ["Ευάγγελος Μπακογιάννης"]}), ("R1", "Person", {"name": ["Сергей Шойгу"]})))
    ScreeningKey.objects.filter(entry__key="G1").delete()  # as keyed before Greek was spelt by ELOT 743
    shoygu = set(ScreeningKey.objects.filter(entry__key="R1").values_list("key", flat=True))
    importlib.import_module("onboarding.migrations.0030_screening_keys_of_greek_names").rekey(apps, None)
    greek = set(ScreeningKey.objects.filter(entry__key="G1").values_list("key", flat=True))
    assert names.keys("evangelos bakogiannis") <= greek
    assert set(ScreeningKey.objects.filter(entry__key="R1").values_list("key", flat=True)) == shoygu


def test_the_un_consolidated_list_is_read_from_its_xml():
    version = imported(UN_LIST.read_bytes(), source="un")
    assert (version.total, version.format) == (2, "un")  # the two individuals; the entity is not a person
    karim = ScreeningEntry.objects.get(key="9000101")
    assert karim.names == ["KARIM HADI AL-RASHID", "كريم هادي الرشيد", "Karim al-Rasheed", "Abu Hadi"]
    assert karim.birth_dates == ["1971-08-02", "1970"] and karim.nationalities == ["syrian arab republic", "iraq"]
    assert karim.datasets == ["un_sc_sanctions", "Al-Qaida"]
    pak = ScreeningEntry.objects.get(key="9000102")
    assert pak.names == ["PAK SONG CHOL"] and pak.birth_dates == ["1966", "1967", "1968", "1969"]
    out = io.StringIO()
    call_command(
        "kyc_screening", "search", "Pak Song Chol", "--dob", "1968-04-01", "--nationality", "PRK", "--json", stdout=out
    )
    (hit,) = json.loads(out.getvalue())
    assert hit["list_id"] == "9000102" and hit["why"]["nationality"] == "same"  # the UN's country name met the code
    out = io.StringIO()
    call_command("kyc_screening", "search", "كريم هادي الرشيد", "--json", stdout=out)
    assert [h["list_id"] for h in json.loads(out.getvalue())] == ["9000101"]


@pytest.mark.parametrize(
    "data,message",
    [
        (
            b'<?xml version="1.0"?>\n<!-- someone else\'s -->\n<watchlist><person/></watchlist>',
            "root is <watchlist>",
        ),
        (  # a tag left open
            UN_LIST.read_bytes().replace(b"</INDIVIDUAL>\n<INDIVIDUAL>", b"</INDIVIDUAL>\n<INDIVIDUAL", 1),
            "line 30: not well-formed",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>&x;</FIRST_NAME>"
            b"</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
            "line 3: not well-formed",  # an external entity is not read
        ),
    ],
)
def test_an_xml_file_that_is_not_a_list_read_is_refused_with_its_line(data, message):
    with pytest.raises(formats.ListFormatError, match=message):
        imported(data, source="un")
    assert not ScreeningEntry.objects.exists()


def test_ofacs_sdn_list_is_read_from_its_xml():
    version = imported(OFAC_LIST.read_bytes(), source="ofac-sdn")
    assert (version.total, version.format) == (2, "ofac")  # two individuals; an entity is not a person
    bout = ScreeningEntry.objects.get(key="ofac-990001")
    assert bout.names == ["Viktor Anatolyevich BOUTOV", "Victor BUTOV", "BORIS"]
    assert bout.birth_dates == ["1967-01-13", "1970"] and bout.nationalities == ["russia", "tajikistan"]
    assert bout.datasets == ["us_ofac_sdn", "SDGT", "RUSSIA-EO14024"]
    kovar = ScreeningEntry.objects.get(key="ofac-990003")
    assert kovar.birth_dates == ["1980-02", "1981", "1982", "1983"]
    out = io.StringIO()
    call_command(
        "kyc_screening", "search", "Viktor Boutov", "--dob", "1967-01-13", "--nationality", "RUS", "--json", stdout=out
    )
    (hit,) = json.loads(out.getvalue())
    assert hit["list_id"] == "ofac-990001" and hit["why"]["dob"] == "same date" and hit["why"]["nationality"] == "same"


@pytest.mark.parametrize(
    "written,read",
    [
        ("13 Jan 1967", ["1967-01-13"]),
        ("03 Sep 1975", ["1975-09-03"]),
        ("Sep 1975", ["1975-09"]),
        ("1975", ["1975"]),
        ("circa 1975", ["1975"]),
        ("1975 to 1977", ["1975", "1976", "1977"]),
        ("31 Feb 1975", ["1975-02"]),  # no such day: the month is still known, as in the other lists
        ("unknown", []),
    ],
)
def test_ofacs_dates_of_birth_as_it_writes_them(written, read):
    assert formats._ofac_birth(written) == read


def test_the_eus_consolidated_list_is_read_from_its_xml():
    version = imported(EU_LIST.read_bytes(), source="eu-fsf")
    assert (version.total, version.format) == (2, "eu")  # two persons; an enterprise is not one
    olga = ScreeningEntry.objects.get(key="eu-EU.9001.01")
    assert olga.names == ["Olga Petrovna Marchenko", "Ольга Петровна Марченко", "Olha Marchenko"]
    assert olga.birth_dates == ["1968-10-09"] and olga.nationalities == ["ru"] and olga.datasets == ["eu_fsf", "UKR"]
    anatol = ScreeningEntry.objects.get(key="eu-900301")  # no EU reference: its logical id
    assert anatol.birth_dates == ["1975"] and anatol.nationalities == []  # an unknown country is not one
    out = io.StringIO()
    call_command("kyc_screening", "search", "Olga Marchenko", "--dob", "1968-10-09", "--json", stdout=out)
    assert [h["list_id"] for h in json.loads(out.getvalue())] == ["eu-EU.9001.01"]


@pytest.mark.parametrize(
    "attributes,read",
    [
        ({"birthdate": "1968-10-09", "year": "1968"}, "1968-10-09"),
        ({"year": "1968", "monthOfYear": "10", "dayOfMonth": "9"}, "1968-10-09"),
        ({"year": "1968", "month": "10"}, "1968-10"),  # the file's later attribute names
        ({"year": "1968", "month": "0", "day": "0"}, "1968"),
        ({"year": "", "month": "10"}, ""),
    ],
)
def test_the_eus_dates_of_birth_as_far_as_known(attributes, read):
    import xml.etree.ElementTree as ElementTree

    assert formats._eu_birth(ElementTree.Element("birthdate", attributes)) == read


def test_the_uk_sanctions_list_is_read_from_its_xml():
    version = imported(UK_LIST.read_bytes(), source="uk")
    assert (version.total, version.format) == (2, "uk")  # two individuals; an entity and a ship are not persons
    sokolov = ScreeningEntry.objects.get(key="uk-RUS9001")
    # Primary names and their variations first, then aliases, then the name in its own script.
    assert sokolov.names == [
        "Dmitry Igorevich SOKOLOV",
        "Dmitriy Igorevich SOKOLOV",
        "Dmitri SOKOLOV",
        "Дмитрий Игоревич Соколов",
    ]
    assert sokolov.birth_dates == ["1968-10-09", "1969"] and sokolov.nationalities == ["russia"]
    assert sokolov.datasets == ["gb_fcdo_sanctions", "Russia"]
    karim = ScreeningEntry.objects.get(key="uk-CTE9004")
    assert karim.birth_dates == ["1971-08"] and karim.nationalities == ["syria", "iraq"]
    out = io.StringIO()
    call_command(
        "kyc_screening", "search", "Dmitry Sokolov", "--dob", "1968-10-09", "--nationality", "RUS", "--json", stdout=out
    )
    (hit,) = json.loads(out.getvalue())
    assert hit["list_id"] == "uk-RUS9001" and hit["why"]["dob"] == "same date" and hit["why"]["nationality"] == "same"


@pytest.mark.parametrize(
    "written,read",
    [
        ("09/10/1968", ["1968-10-09"]),
        ("9/1/1968", ["1968-01-09"]),
        ("dd/10/1968", ["1968-10"]),
        ("dd/mm/1968", ["1968"]),
        ("DD/MM/1968", ["1968"]),
        ("31/02/1968", ["1968-02"]),  # no such day: the month is still known
        ("00/00/1968", ["1968"]),
        ("circa 1968", ["1968"]),
        ("unknown", []),
    ],
)
def test_the_uk_lists_dates_of_birth_as_it_writes_them(written, read):
    assert formats._uk_birth(written) == read


def test_switzerlands_list_is_read_from_its_xml():
    version = imported(CH_LIST.read_bytes(), source="seco")
    assert (version.total, version.format) == (2, "ch")  # a de-listed person and an entity are not screened
    morozova = ScreeningEntry.objects.get(key="ch-70001")
    # The main identity's primary name (no title), its Cyrillic spelling, then the other identity's alias.
    assert morozova.names == ["Morozova Elena Sergeevna", "Морозова Елена Сергеевна", "Lena Morozova"]
    assert morozova.birth_dates == ["1968-10-09", "1969"]  # not the passport's expiry
    assert morozova.nationalities == ["ru"] and morozova.datasets == ["ch_seco_sanctions", "Ukraine"]
    relisted = ScreeningEntry.objects.get(key="ch-70301")  # de-listed, then listed again
    assert relisted.birth_dates == ["1980-04"] and relisted.nationalities == ["belarus"]
    assert relisted.datasets == ["ch_seco_sanctions", "Belarus"]
    out = io.StringIO()
    call_command(
        "kyc_screening", "search", "Elena Morozova", "--dob", "1968-10-09", "--nationality", "RUS", "--json", stdout=out
    )
    (hit,) = json.loads(out.getvalue())
    assert hit["list_id"] == "ch-70001" and hit["why"]["dob"] == "same date" and hit["why"]["nationality"] == "same"


def test_canadas_autonomous_list_is_read_from_its_xml():
    version = imported(CA_LIST.read_bytes(), source="sema")
    assert (version.total, version.format) == (2, "ca")  # an entity and a ship are not persons
    ivan = ScreeningEntry.objects.get(key="ca-Russia-1, Part 1-9001")
    assert ivan.names == ["Ivan Petrovich MADEUPOV", "Ivan MADEUPOFF", "Иван Петрович Мадеупов"]  # no language label
    assert ivan.birth_dates == ["1972-08-10", "1972-08-11"]
    assert ivan.nationalities == [] and ivan.datasets == [
        "ca_dfatd_sema_sanctions",
        "Russia",
    ]  # a programme, not a nationality
    aleh = ScreeningEntry.objects.get(key="ca-Belarus-1, Part 1-9004")
    assert aleh.names == ["Aleh MADEUPENKA", "Oleg MADEUPENKO", "Aleg MADEUPENKA"]
    assert aleh.birth_dates == ["1963", "1964"]
    out = io.StringIO()
    call_command("kyc_screening", "search", "Ivan Madeupov", "--dob", "1972-08-10", "--json", stdout=out)
    (hit,) = json.loads(out.getvalue())
    assert hit["list_id"] == "ca-Russia-1, Part 1-9001" and hit["why"]["dob"] == "same date"


@pytest.mark.parametrize(
    "written,read",
    [
        ("10-08-1972", ["1972-08-10"]),
        ("1972-08-10", ["1972-08-10"]),
        ("1972", ["1972"]),
        ("1963-1964", ["1963", "1964"]),
        ("1972-08-10 or 1972-08-11", ["1972-08-10", "1972-08-11"]),
        ("31-02-1970", ["1970-02"]),  # no such day: the month is still known, as in the other lists
        ("10-13-1970", ["1970"]),  # no such month: the year is
        ("born in the early 1970s", []),
    ],
)
def test_canadas_dates_of_birth_as_it_writes_them(written, read):
    assert formats._ca_birth(written) == read


def test_an_xml_list_on_one_line_is_read_as_the_same_list():
    # A file with no line breaks is read in pieces, not as one line: the same entries.
    data = UN_LIST.read_bytes()
    one_line = b" ".join(data.split(b"\n"))
    assert b"\n" not in one_line
    imported(one_line, source="un")
    assert set(ScreeningEntry.objects.values_list("key", flat=True)) == {"9000101", "9000102"}
    assert ScreeningEntry.objects.get(key="9000102").birth_dates == ["1966", "1967", "1968", "1969"]
