"""What a service refuses, with a stable code for programs and a message for people."""


class Refused(Exception):
    """code: stable, for the API and tests; message: what the person reads (may be lazily translated)."""

    def __init__(self, code, message):
        super().__init__(str(message))
        self.code, self.message = code, message
