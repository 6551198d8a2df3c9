"""Faces across cases: the face index and the blocklist."""
