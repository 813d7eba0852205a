"""Jinja2 environments with file-by-file user overrides (like Pelican/MkDocs themes).

A user points ``[email] templates_dir`` at a copy of ``templates/``; any file there wins over
the bundled one of the same name, and every other file falls back to the bundled set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2

from digest.config import Settings
from digest.errors import TemplateError
from digest.resources import default_templates_dir


def template_dirs(settings: Settings) -> list[Path]:
    dirs = []
    if settings.email.templates_dir:
        user = settings.resolve(settings.email.templates_dir)
        if not user.is_dir():
            raise TemplateError(f"{settings.label}: [email] templates_dir: no such folder: {user}")
        dirs.append(user)
    dirs.append(default_templates_dir())
    return dirs


def make_environment(
    settings: Settings,
    autoescape: bool | Callable[[str | None], bool] = True,
    filters: dict[str, Callable[..., Any]] | None = None,
) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(settings)]),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(filters or {})
    return env


@contextmanager
def template_errors() -> Iterator[None]:
    """Turn any Jinja error into a TemplateError naming the file and line."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or "template"
        raise TemplateError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}") from exc
    except jinja2.TemplateError as exc:
        where, line = _template_frame(exc)
        raise TemplateError(f"{where}:{line}: template error: {exc}") from exc


def _template_frame(exc: BaseException) -> tuple[str, int | str]:
    """The innermost traceback frame that belongs to a template (Jinja maps line numbers)."""
    tb = exc.__traceback__
    found: tuple[str, int | str] = ("template", "?")
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith((".j2", ".jinja", ".html", ".mjml", ".txt")):
            found = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
