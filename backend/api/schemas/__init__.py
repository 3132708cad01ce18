"""Request and response bodies of the API, one module per feature.

Rule: the bodies of `backend/api/routes/<feature>.py` live in
`backend/api/schemas/<feature>.py` (named by role: ...Request, ...Response, ...Public),
with their Swagger examples; a body two features share would go to `schemas/common.py`.
Import from the feature module; this package re-exports nothing.
"""
