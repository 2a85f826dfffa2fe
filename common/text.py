"""Words moved from one place to a shorter one (a revealed share becoming an orphan's title, an
acknowledgement, a commitment)."""


def shortened(text: str, *, limit: int) -> str:
    """The text if it fits, else cut at the last word that fits, with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip() + "…"
