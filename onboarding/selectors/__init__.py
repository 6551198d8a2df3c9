"""Reads, one module per reader: the applicant's pages, the API and webhooks, the reviewers' queue
and case page, the dashboard; `cases` holds what they share."""
