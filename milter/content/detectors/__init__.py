"""detectors -- one module per detector; importing this package registers them all.

To add a detector: write `detectors/<name>.py` with a `@register("<name>")` class (see
`milter.content.registry`), import it below, and add its name to `ALL_DETECTORS` if it should
run by default.  The scanner core does not change.
"""

from milter.content.detectors import (  # noqa: F401  (imported for registration)
    bsn,
    case_keywords,
    custom,
    date_of_birth,
    iban,
    phone_nl,
    postcode,
)
