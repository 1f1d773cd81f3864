"""The Source line of a Digital Archive page: archival reference, then credits.

``GAPPOD, f.1, op.89, d.112. Obtained for CWIHP by Jamil Hasanli and translated for
CWIHP by Gary Goldberg.`` holds two things the record keeps apart: the citation
(what the archive calls the unit) and the people who obtained, translated or edited
the text (contributors with roles). Some pages give the provenance as prose instead;
then only the reference-shaped part is a citation.
"""

from __future__ import annotations

import re

from metadata.readers.names import invert_name, looks_like_organisation
from metadata.record import Agent

ROLES = {
    "obtained": "obtainer",
    "translated": "translator",
    "edited": "editor",
    "transcribed": "transcriber",
    "contributed": "contributor",
    "donated": "donor",
    "provided": "provider",
    "annotated": "annotator",
    "compiled": "compiler",
}
_VERB = "(?:" + "|".join(ROLES) + ")"
_CREDITS_START = re.compile(
    r"(?:^|(?<=[.;])\s+)(?=(?:" + "|".join(v.capitalize() for v in ROLES) + r")\b)"
)
# Sentence ends: a full stop, unless it closes an initial (``G.``) or a title (``Dr.``).
_SENTENCE_END = re.compile(r"(?<!\b[A-Z]\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<=[.;])\s+")
_CLAUSE_SPLIT = re.compile(rf",?\s+and\s+(?={_VERB}\b)", re.IGNORECASE)
_CLAUSE = re.compile(
    rf"^(?P<verbs>{_VERB}(?:\s*(?:,\s*and|,|and)\s*{_VERB})*)\b.*?\bby\s+(?P<names>.+)$",
    re.IGNORECASE,
)
_FUNCTION_WORDS = frozenset(
    {
        "the",
        "a",
        "an",
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "from",
        "by",
        "to",
        "with",
        "which",
        "that",
        "this",
    }
)
_VERBS = frozenset(["was", "were", "is", "are", "has", "have", "had"])
_NAME_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_FOR_WHOM = re.compile(r"\s+for\s+(?:the\s+)?\S.*$")
# An archival reference inside prose: archive acronym, then a fond (``f.``/``fond``/``ф.``)
# and whatever levels follow, up to the end of that sentence or a semicolon.
_REFERENCE_IN_PROSE = re.compile(
    r"\b((?:[A-ZА-Я]{1,6}\s)?[A-ZА-Я]{2,}[a-z]?,\s*(?i:f|fond|ф)\.?\s*\d[^;]*?)"
    r"(?=\.\s+[A-ZА-Я\"“]|\.?\s*$|;)"
)


def split_source(source: str) -> tuple[str, str]:
    """(reference as written, credits) for a Source line; either part may be empty.

    The full stop that separates the reference from the first credit sentence is
    dropped; a full stop that ends a Source without credits is kept as written.
    """
    match = _CREDITS_START.search(source)
    if not match:
        return source.strip(), ""
    reference = source[: match.start()].strip()
    if reference.endswith((".", ";")):
        reference = reference[:-1].rstrip()
    return reference, source[match.end() :].strip()


def parse_credits(credits: str) -> tuple[tuple[Agent, ...], tuple[str, ...]]:
    """Contributors with roles from credit sentences, and the sentences not understood.

    ``translated and edited by A, B, and C`` gives each of A, B and C both roles.
    Personal names come back inverted (``Goldberg, Gary``).
    """
    agents: list[Agent] = []
    leftovers: list[str] = []
    for sentence in _SENTENCE_END.split(credits.strip()):
        sentence = sentence.strip().rstrip(".;").strip()
        if not sentence:
            continue
        for clause in _clauses(sentence):
            match = _CLAUSE.match(clause)
            if not match:
                leftovers.append(clause.strip())
                continue
            roles = [ROLES[v.lower()] for v in re.findall(_VERB, match["verbs"], re.I)]
            for name in _names(match["names"]):
                agents.extend(Agent(name, role) for role in roles)
    return tuple(dict.fromkeys(agents)), tuple(leftovers)


def _clauses(sentence: str) -> list[str]:
    """Split ``Obtained by A and translated by B`` in two; keep ``translated and edited by C``."""
    clauses: list[str] = []
    for piece in _CLAUSE_SPLIT.split(sentence):
        if clauses and not re.search(r"\bby\b", clauses[-1]):
            clauses[-1] = f"{clauses[-1]} and {piece.strip()}"
        else:
            clauses.append(piece.strip())
    return clauses


def _names(text: str) -> list[str]:
    text = _FOR_WHOM.sub("", text.strip().rstrip("."))
    names = []
    for part in _NAME_SPLIT.split(text):
        part = part.strip()
        if not part:
            continue
        if looks_like_organisation(part):
            names.append(re.sub(r"^the\s+", "", part))
        else:
            names.append(invert_name(part))
    return names


def is_prose(reference: str) -> bool:
    """True when the Source text is narrative rather than a reference.

    A reference is names, level words and numbers; prose has sentence grammar
    (``The document, from the Russian Presidential Archives, was given ...``):
    several function words and at least one finite verb.
    """
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", reference)]
    function_words = sum(1 for w in words if w in _FUNCTION_WORDS)
    return function_words >= 4 and any(w in _VERBS for w in words)


def references_in_prose(prose: str) -> list[str]:
    """Reference-shaped passages in a prose Source (``RGASPI, f. 558, op. 11, d. 334, ll.0055``)."""
    return [m.strip() for m in _REFERENCE_IN_PROSE.findall(prose)]
