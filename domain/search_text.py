"""The one search-text normaliser every store indexes and queries with.

`fold(text)` maps text to the form the search compares: Unicode compatibility forms are
decomposed (NFKD: `ﬁ` -> `fi`, full-width letters -> ASCII letters, `²` -> `2`), combining
marks are dropped (accents: `café` -> `cafe`; the dot of `İ` -> `I`), and the result is
case-folded (Unicode full case folding: `ISTANBUL`, `İstanbul`, `istanbul` -> `istanbul`,
`Straße` -> `strasse`). Case folding can yield marks again, so the decomposition and the
stripping run once more after it. Pure and deterministic: the same text always folds to the
same string, on every store, which is what lets an index built with it answer a query
folded with it.
"""

import unicodedata


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """`text` with compatibility forms decomposed, accents removed and case folded.

    Example: fold("İstanbul Café") == "istanbul cafe"; full-width letters fold to ASCII ones.
    ASCII text has nothing to decompose and its case folding is lower-casing, so it takes
    that short path.
    """
    if text.isascii():
        return text.lower()
    return _strip_marks(_strip_marks(text).casefold())
