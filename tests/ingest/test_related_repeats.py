"""A related-stories block whose section labels repeat is consumed whole, not cut at the first repeat."""

from __future__ import annotations

from digest.ingest.scraped_text import clean_scraped_text

TEXT = """Harbour festival draws record crowds

The harbour festival drew record crowds on Saturday as boats from twelve towns sailed in.

Organisers said more than forty thousand people came to watch the parade and the fireworks.

The council will decide next month whether to make the festival a two-day event next year.

More from The Courier

Floods close the coast road for a second week

World

Ferry strike ends after pay deal is agreed

World

New bridge opens to traffic ahead of schedule

World

Tickets for next year's festival go on sale in March, the organisers said on Sunday evening.
"""


def test_repeated_section_labels_do_not_leak_into_the_body() -> None:
    for whole_page in (True, False):
        cleaned = clean_scraped_text(TEXT, has_title=True, whole_page=whole_page)
        assert [r.title for r in cleaned.related] == [
            "Floods close the coast road for a second week",
            "Ferry strike ends after pay deal is agreed",
            "New bridge opens to traffic ahead of schedule",
        ]
        assert all(r.section == "World" for r in cleaned.related)
        for line in ("Floods close", "Ferry strike", "New bridge", "World", "More from"):
            assert line not in cleaned.body
        if not whole_page:  # a block inside the text: what follows it is body again
            assert "Tickets for next year" in cleaned.body
