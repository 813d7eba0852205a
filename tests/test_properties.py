"""For any input, the parsers users feed give a result or the project's own error, nothing else."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config import Settings, load_settings
from digest.errors import DigestError
from digest.ingest.files import articles_from_text
from digest.mailing.tokens import UnsubscribeSigner

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
TOML_LIKE = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(
        st.sampled_from(
            [
                "[digest]",
                "[fetch]",
                "[[sources]]",
                "[[sections]]",
                "timeout = ",
                "title = ",
                "nan",
                "inf",
                '"x"',
                "= 1e999",
                "[email]",
                'subject = "{title',
                "}",
                "\n",
                'type = "feed"',
                "url = ",
                "[bogus]",
                "\x00",
            ]
        ),
        max_size=30,
    ).map(lambda parts: "".join(parts).encode()),
)


@FAST
@given(TOML_LIKE)
def test_config_files(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "digest.toml"
        path.write_bytes(data)
        with contextlib.suppress(DigestError):
            assert isinstance(load_settings(path, env={}), Settings)


NAMES = st.sampled_from(
    [
        "DIGEST_FETCH__TIMEOUT",
        "DIGEST_SUMMARY__POINTS",
        "DIGEST_SUMARY__POINTS",
        "DIGEST_X__Y",
        "DIGEST_BACKEND",
        "DIGEST_DELIVERY__FROM_NAME",
        "DIGEST_EMAIL__SUBJECT",
        "DIGEST_ALLOW_PRIVATE_ADDRESSES",
        "DIGEST___",
    ]
)


@FAST
@given(st.dictionaries(NAMES, st.text(max_size=40).filter(lambda v: "\x00" not in v), max_size=4))
def test_environment_overrides(env: dict[str, str]) -> None:
    with contextlib.suppress(DigestError):
        load_settings(None, env=env)


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["txt", "plain", "md", "json", "auto", "html"]))
def test_text_markdown_and_json_readers(data: bytes, fmt: str) -> None:
    try:
        articles = articles_from_text(data, f"input.{fmt}", Settings(), fmt=fmt)
    except DigestError:
        return
    assert all(isinstance(a.text, str) for a in articles)


SIGNER = UnsubscribeSigner("k" * 32)


@FAST
@given(st.one_of(st.text(max_size=200), st.from_regex(r"[A-Za-z0-9_=.\-]{0,120}", fullmatch=True)))
def test_unsubscribe_tokens(token: str) -> None:
    try:
        list_name, address = SIGNER.verify_target(token)
    except DigestError:
        return
    assert SIGNER.token(address, list_name)  # only a genuine token gets here


def test_a_genuine_token_round_trips() -> None:
    token = SIGNER.token("ann@example.org", "vip")
    assert SIGNER.verify_target(token) == ("vip", "ann@example.org")
