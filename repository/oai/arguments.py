"""Checking a request's arguments against the verb it names (spec sections 3.6 and 4).

Arguments arrive as a list of (name, value) pairs, so repeated arguments are seen (a
dict would hide them). Every value that is echoed in ``<request>`` is checked here
against the schema type of its attribute, so an echo can never make a response
invalid: a value that fails is a badArgument, and badArgument responses echo nothing.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from metadata.xmlchars import is_clean
from repository.oai.errors import OAIError, OAIErrors

REQUIRED, OPTIONAL, EXCLUSIVE = "required", "optional", "exclusive"
VERBS: dict[str, dict[str, str]] = {
    "Identify": {},
    "ListMetadataFormats": {"identifier": OPTIONAL},
    "ListSets": {"resumptionToken": EXCLUSIVE},
    "GetRecord": {"identifier": REQUIRED, "metadataPrefix": REQUIRED},
    "ListIdentifiers": {
        "metadataPrefix": REQUIRED,
        "from": OPTIONAL,
        "until": OPTIONAL,
        "set": OPTIONAL,
        "resumptionToken": EXCLUSIVE,
    },
    "ListRecords": {
        "metadataPrefix": REQUIRED,
        "from": OPTIONAL,
        "until": OPTIONAL,
        "set": OPTIONAL,
        "resumptionToken": EXCLUSIVE,
    },
}
# Syntax of the values (OAI-PMH.xsd types of the <request> attributes).
PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-_.!~*'();/?:@&=+$,%]+")
TOKEN = re.compile(r"[\x21-\x7e]+")
SYNTAX = {
    "metadataPrefix": PREFIX,
    "set": SET_SPEC,
    "identifier": IDENTIFIER,
    "resumptionToken": TOKEN,
}


class OAIRequest(NamedTuple):
    verb: str
    args: dict[str, str]

    def get(self, name: str) -> str | None:
        return self.args.get(name)


def check(pairs: list[tuple[str, str]]) -> OAIRequest:
    """The request, or OAIErrors listing every problem found."""
    verbs = [v for k, v in pairs if k == "verb"]
    if not verbs:
        raise OAIErrors([OAIError("badVerb", "the verb argument is missing")])
    if len(verbs) > 1:
        raise OAIErrors([OAIError("badVerb", "the verb argument is repeated")])
    verb = verbs[0]
    if verb not in VERBS:
        raise OAIErrors([OAIError("badVerb", f"{_show(verb)} is not an OAI-PMH 2.0 verb")])
    allowed = VERBS[verb]
    errors: list[OAIError] = []
    args: dict[str, str] = {}
    for name, value in pairs:
        if name == "verb":
            continue
        if name not in allowed:
            errors.append(OAIError("badArgument", f"{_show(name)} is not an argument of {verb}"))
        elif name in args:
            errors.append(OAIError("badArgument", f"the argument {name} is repeated"))
        else:
            args[name] = value
    if "resumptionToken" in args:
        others = sorted(n for n in args if n != "resumptionToken")
        if others:
            errors.append(
                OAIError(
                    "badArgument", f"resumptionToken cannot be combined with {', '.join(others)}"
                )
            )
    else:
        for name, rule in allowed.items():
            if rule == REQUIRED and name not in args:
                errors.append(OAIError("badArgument", f"{verb} needs the {name} argument"))
    for name, value in args.items():
        pattern = SYNTAX.get(name)
        if pattern is not None and pattern.fullmatch(value):
            continue  # every pattern admits printable ASCII only: the value is clean
        problem = _syntax_problem(name, value)
        if problem:
            errors.append(OAIError("badArgument", problem))
    if errors:
        raise OAIErrors(errors)
    return OAIRequest(verb, args)


def _syntax_problem(name: str, value: str) -> str | None:
    """What is wrong with a value that does not match its pattern, if anything."""
    pattern = SYNTAX.get(name)
    if not value:
        return f"the {name} argument is empty"
    if not is_clean(value):
        return f"the {name} argument holds characters XML cannot carry"
    if pattern is not None:
        return f"the {name} argument has an illegal syntax"
    return None


def _show(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return repr(shown) if is_clean(shown) else "an argument with characters XML cannot carry"
