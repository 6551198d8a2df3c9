"""docs/configuration.md lists the environment variables kyc/settings.py, the web server's settings
(kyc/gunicorn.py) and the vendors read, and no others."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_by_settings() -> set[str]:
    text = (ROOT / "kyc" / "settings.py").read_text()
    names = set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', text))
    names |= set(re.findall(r'_local_secret\(\s*"([A-Z][A-Z0-9_]+)"', text))
    if "KYC_THRESHOLD_" in text:  # read by prefix: KYC_THRESHOLD_<VENDOR>_<KIND>
        names.add("KYC_THRESHOLD_<VENDOR>_<KIND>")
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]+)"', (ROOT / "kyc" / "gunicorn.py").read_text()))
    return names


def read_by_vendors() -> set[str]:
    """Each vendor's own settings, read through vendors.base.vendor_setting as <VENDOR>_<NAME>."""
    from vendors.registry import BACKENDS, get_backend

    return {get_backend(name).setting_name(key) for name in BACKENDS for key in get_backend(name).settings_defaults}


def documented() -> set[str]:
    rows = [line for line in (ROOT / "docs" / "configuration.md").read_text().splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_<>]+)`", row.split("|")[1])}


def test_every_setting_is_documented_and_every_documented_one_exists():
    read, listed = read_by_settings() | read_by_vendors(), documented()
    assert len(read) > 50
    assert sorted(read - listed) == [], "read by kyc/settings.py or a vendor, missing from docs/configuration.md"
    assert sorted(listed - read) == [], "in docs/configuration.md, read by neither kyc/settings.py nor a vendor"
