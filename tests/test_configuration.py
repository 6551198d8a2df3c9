"""docs/configuration.md and kyc/settings.py list the same environment variables."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_by_settings() -> set[str]:
    text = (ROOT / "kyc" / "settings.py").read_text()
    names = set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', text))
    names |= set(re.findall(r'_local_secret\(\s*"([A-Z][A-Z0-9_]+)"', text))
    if "KYC_THRESHOLD_" in text:  # read by prefix: KYC_THRESHOLD_<VENDOR>_<KIND>
        names.add("KYC_THRESHOLD_<VENDOR>_<KIND>")
    return names


def documented() -> set[str]:
    rows = [line for line in (ROOT / "docs" / "configuration.md").read_text().splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_<>]+)`", row.split("|")[1])}


def test_every_setting_is_documented_and_every_documented_one_exists():
    read, listed = read_by_settings(), documented()
    assert len(read) > 50
    assert sorted(read - listed) == [], "read by kyc/settings.py, missing from docs/configuration.md"
    assert sorted(listed - read) == [], "in docs/configuration.md, not read by kyc/settings.py"
