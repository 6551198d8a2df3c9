"""Who the applicant is: what they declared and what their identity document says."""
