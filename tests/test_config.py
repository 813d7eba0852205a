from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from digest.config import load_settings
from digest.errors import ConfigError


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "digest.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_builtin_default_loads_when_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(env={})
    assert s.config_path is None
    assert s.summary.points == 3
    assert s.sources and s.resolve(s.sources[0].path).is_dir()


def test_wrong_value_is_reported_with_file_section_and_key(tmp_path: Path) -> None:
    p = write(tmp_path, '[summary]\npoints = "three"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(p, env={})
    assert str(err.value).endswith('[summary] points: expected an integer 1-10, got "three"')


def test_unknown_key_and_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[summary\] pointz: unknown key"):
        load_settings(write(tmp_path, "[summary]\npointz = 3\n"), env={})
    with pytest.raises(ConfigError, match=r"\[sumary\]: unknown section"):
        load_settings(write(tmp_path, "[sumary]\npoints = 3\n"), env={})


def test_env_overrides_and_secrets(tmp_path: Path) -> None:
    p = write(tmp_path, "[summary]\npoints = 3\n")
    env = {"DIGEST_SUMMARY__POINTS": "5", "DIGEST_SMTP_PASSWORD": "hunter2", "DIGEST_BACKEND": "memory://"}
    s = load_settings(p, env=env)
    assert s.summary.points == 5
    assert s.delivery.backend == "memory://"
    assert s.smtp_password == "hunter2"
    assert "hunter2" not in repr(s)


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    p = write(tmp_path, "")
    dotenv = tmp_path / ".env"
    dotenv.write_text("DIGEST_SUMMARY__POINTS=7\nDIGEST_SMTP_PASSWORD=fromfile\n")
    s = load_settings(p, env={"DIGEST_SMTP_PASSWORD": "fromenv"}, dotenv_path=dotenv)
    assert s.summary.points == 7
    assert s.smtp_password == "fromenv"


def test_bad_config_via_cli_is_one_line_exit_1(tmp_path: Path) -> None:
    p = write(tmp_path, '[summary]\npoints = "three"\n')
    r = subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(p), "summarize", "-"],
        input="Hello world. This is text.",
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0
    assert 'points: expected an integer 1-10, got "three"' in r.stderr
    assert "Traceback" not in r.stderr
