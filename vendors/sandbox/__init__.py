"""A loopback sandbox that speaks each vendor's wire protocol from the other side.

Credentials are checked exactly as the vendors do, answers use their envelopes,
HTTP statuses and codes, and scores come from the real photos through the local
engine, mapped onto each vendor's scale (see scoring.py). Faults can be injected
per request (X-Sandbox-Fault header) or per run (control endpoint, CLI options).
"""
