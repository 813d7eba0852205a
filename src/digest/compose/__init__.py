"""Composing an edition: the stories of the day, each summarized, with related-story teasers.

``build.build_digest`` reads the sources (through the archive when there is one), summarizes each
story and attaches teasers (``teasers``): the Digest that render and mailing take from here.
"""
