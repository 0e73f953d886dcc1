"""Why a rendition could not be made, as exception types.

They derive from the project's ProceduraError so the service that wires renditions in can
register them in services/contracts/errors.py and map them once, like the others.
"""
from services.contracts.errors import ProceduraError


class RenditionFailed(ProceduraError):
    """The rendition could not be made; the message names why."""

    code = "rendition_failed"


class ConversionTimedOut(RenditionFailed):
    code = "rendition_timeout"


class PasswordProtected(RenditionFailed):
    code = "rendition_password_protected"


class CorruptFile(RenditionFailed):
    code = "rendition_corrupt"


class UnsupportedFile(RenditionFailed):
    code = "rendition_unsupported"


class ImageTooLarge(RenditionFailed):
    code = "rendition_image_too_large"
