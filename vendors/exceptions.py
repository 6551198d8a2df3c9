"""One error hierarchy for every vendor.

The task layer only needs the category: retry a RetryableVendorError, stop on a
ConfigurationError (an operator must act), and tell the applicant what to fix on
a BadInputError.
"""


class VendorError(Exception):
    category = "permanent"

    def __init__(
        self, message, *, code="", vendor_request_id="", raw_response=None, http_status=None, applicant_message=""
    ):
        super().__init__(message)
        self.message = message
        self.code = str(code)
        self.vendor_request_id = vendor_request_id
        self.raw_response = raw_response
        self.http_status = http_status
        self.applicant_message = applicant_message

    def __str__(self):
        return f"[{self.code}] {self.message}" if self.code else self.message


class RetryableVendorError(VendorError):
    """Timeouts, 5xx, rate limits: the same request may succeed later."""

    category = "retryable"


class ConfigurationError(VendorError):
    """Bad credentials, no quota, no permission: retrying cannot help."""

    category = "configuration"


class BadInputError(VendorError):
    """The applicant's photo cannot be used (no face, blurry, format); they can fix it."""

    category = "bad_input"


class PermanentVendorError(VendorError):
    """Any other failure that retrying the same request will not fix."""

    category = "permanent"
