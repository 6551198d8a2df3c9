"""Sanctions and PEP screening's own logic, free of Django: reading the list files operators import
(formats.py), spelling names for comparison (names.py) and scoring a person against a list entry
(matching.py). The lists themselves live in the database (onboarding.services.screening)."""
