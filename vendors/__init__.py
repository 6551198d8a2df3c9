"""Vendors behind one interface: every check kind goes through a VendorBackend.

`local` (the embedded dlib engine) is a vendor like the others; see registry.py.
"""
