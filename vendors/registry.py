"""Vendor names as used in settings (KYC_*_VENDORS) mapped to their backends."""

from functools import cache

from django.utils.module_loading import import_string

BACKENDS = {
    "local": "vendors.local.LocalEngineBackend",
    "acedata": "vendors.acedata.AceDataBackend",
    "baidu": "vendors.baidu.BaiduBackend",
    "linkface": "vendors.linkface.LinkFaceBackend",
    "tencent": "vendors.tencent.TencentBackend",
}


class UnknownVendor(LookupError):
    pass


@cache
def get_backend(name: str):
    try:
        path = BACKENDS[name]
    except KeyError:
        raise UnknownVendor(f"unknown vendor {name!r}; known: {', '.join(sorted(BACKENDS))}") from None
    return import_string(path)()
