"""OAI-PMH error conditions (spec section 3.6): sent in an HTTP 200 document."""

from __future__ import annotations

from dataclasses import dataclass

CODES = frozenset(
    {
        "badArgument",
        "badResumptionToken",
        "badVerb",
        "cannotDisseminateFormat",
        "idDoesNotExist",
        "noRecordsMatch",
        "noMetadataFormats",
        "noSetHierarchy",
    }
)


@dataclass
class OAIError(Exception):
    code: str
    message: str

    def __post_init__(self) -> None:
        assert self.code in CODES, self.code


class OAIErrors(Exception):
    """Several errors at once (the spec lets a response report them all)."""

    def __init__(self, errors: list[OAIError]) -> None:
        super().__init__(errors)
        self.errors = errors

    @property
    def echo_arguments(self) -> bool:
        """badVerb and badArgument responses must not echo the arguments."""
        return not any(e.code in ("badVerb", "badArgument") for e in self.errors)
