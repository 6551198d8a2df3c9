"""Schema post-processing: the errors every operation can answer, documented once."""

COMMON = {
    "401": "The API key is missing, invalid or revoked.",
    "403": "The key's client lacks the scope for this request.",
    "429": "Too many requests for this client (KYC_API_RATE_LIMIT); wait for the Retry-After header's seconds.",
}


def common_error_responses(result, generator, request, public):
    problem = {"application/problem+json": {"schema": {"type": "object"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in COMMON.items():
                responses.setdefault(status, {"description": description, "content": problem})
            if "429" in responses:
                responses["429"].setdefault(
                    "headers",
                    {
                        "Retry-After": {
                            "schema": {"type": "integer"},
                            "description": "Seconds to wait before trying again.",
                        }
                    },
                )
    return result
