"""A real Dovecot IMAP server on 127.0.0.1 with a throwaway config, for the bounce-source tests.

Plain IMAP and IMAPS (a trustme certificate) on free ports, one user with a plain-text password
in a passwd file, Maildir storage in a temporary directory. Started in the foreground as our
own child and stopped at the end; no system service is touched. As root, Dovecot will not run
its login processes as root, so mail then belongs to the packaged ``dovecot`` user and logins
run as ``dovenull``; as any other user everything runs as that user.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme
from tests.support.net import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "bounces"
PASSWORD = "correct horse battery staple"


@dataclass
class Dovecot:
    host: str
    port: int
    tls_port: int
    user: str
    password: str
    root: Path
    ca: trustme.CA

    def log(self) -> str:
        try:
            return (self.root / "dovecot.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""


def available() -> bool:
    return os.path.exists(DOVECOT)


def _ids() -> tuple[str, str, str, int, int]:
    """(internal user, internal group, login user, mail uid, mail gid) for the current user."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        return me, group, me, os.getuid(), os.getgid()
    mail = pwd.getpwnam("dovecot")
    return "dovecot", grp.getgrgid(mail.pw_gid).gr_name, "dovenull", mail.pw_uid, mail.pw_gid


def _config(root: Path, port: int, tls_port: int) -> str:
    internal, group, login, uid, gid = _ids()
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _wait_for_greeting(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"Dovecot did not greet on 127.0.0.1:{port}")


@contextmanager
def run_dovecot(startup_timeout: float = 20.0) -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="digest-dovecot-"))
    os.chmod(root, 0o755)  # the mail and auth processes may run as another user
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    _, _, _, uid, gid = _ids()
    if os.geteuid() == 0:
        for sub in ("mail", "home"):
            os.chown(root / sub, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    os.chmod(root / "passwd", 0o644)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    port = free_port()
    tls_port = free_port()
    while tls_port == port:
        tls_port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, tls_port))
    with open(root / "stderr.txt", "wb") as stderr:
        proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=stderr)
    server = Dovecot("127.0.0.1", port, tls_port, USER, PASSWORD, root, ca)
    try:
        try:
            _wait_for_greeting(port, time.monotonic() + startup_timeout)
        except TimeoutError:
            proc.terminate()
            proc.wait(timeout=10)
            err = (root / "stderr.txt").read_text(errors="replace")
            raise RuntimeError(f"Dovecot did not start: {err}\n{server.log()}") from None
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
