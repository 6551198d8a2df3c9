"""The sandbox WSGI application (served by Werkzeug's threaded server): the core and one protocol
module per vendor, vendors/sandbox/<vendor>.py, for every vendor in vendors.registry that has one."""

import importlib
import importlib.util

from vendors.registry import BACKENDS

from .core import Credentials, SandboxCore, State, serve

__all__ = ["PROTOCOLS", "Credentials", "SandboxApp", "State", "credentials_from_settings", "serve"]

PROTOCOLS = tuple(name for name in BACKENDS if importlib.util.find_spec(f"vendors.sandbox.{name}") is not None)


def _protocol(name):
    module = importlib.import_module(f"vendors.sandbox.{name}")
    return next(v for v in vars(module).values() if isinstance(v, type) and getattr(v, "vendor", None) == name)


SandboxApp = type("SandboxApp", (*(_protocol(name) for name in PROTOCOLS), SandboxCore), {})


def credentials_from_settings() -> Credentials:
    """What the adapters would send: each sandboxed vendor's settings."""
    from vendors.registry import get_backend

    return Credentials(
        {
            name: {key: get_backend(name).setting(key) for key in get_backend(name).settings_defaults}
            for name in PROTOCOLS
        }
    )
