"""The web portal in a real browser against two real gateways.

Two Postfix instances on loopback, each with its own milter (the example policy; a dossier to
an external recipient is held) and its own quarantine service on a unix socket (root, as
systemd runs it, with the portal's account as its --delegate-user). ``postwarden web`` runs as
that account -- a test user in the officers' group and no other, like postwarden-portal --
listening on a unix socket that trusts only its peer there. In front of it a small reverse
proxy in this test process plays nginx after single sign-on: it drops any X-Remote-User the
browser sends and sets the signed-in user's. Headless Chromium (Selenium, Debian's chromedriver)
drives it:

- an officer sees what is held on both gateways -- gw1 through its local socket, gw2 as a
  remote gateway: through ``postwarden quarantine-gateway``, the mutual-TLS bridge (TLS 1.3,
  certificates from a private CA made with openssl; the bridge runs as the delegate account);
- the sender withdraws one message from the link in the held notice that arrived at the sink
  (gw1's milter signs it with the key it shares with the portal);
- two officers release another (four eyes): delivered to the recipient at the sink.

Every page is checked for console errors (a CSP violation is one), labels on every control and
a tab order that reaches the forms; screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import grp
import http.client
import http.server
import importlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
import uvicorn
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

import milter.portal.app  # imported here, never in the forked child
from milter.policy import load_policy
from milter.portal import tokens
from milter.portal import web as portal_web
from milter.portal.tlsgateway import GatewayBridge, server_context
from tests.e2e.postfix import MilterFactory, PostfixFactory, Sink, free_port
from tests.e2e.stack import ROOT
from tests.e2e.test_held_life import Life, start
from tests.e2e.test_held_notices import EXTERNAL, SENDER, notice
from tests.support.accounts import Accounts, officer_accounts
from tests.support.browser import Browser, chromium
from tests.support.certs import Pki, make_pki

QUARANTINE = """quarantine:
  release_requires: 2
  officers:
    - user: fg
      may: [release, delete, content]
    - user: jb
      may: [release]
"""


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP to the portal's unix socket (what nginx's proxy_pass http://unix:... does)."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(120)
        self.sock.connect(self.path)


class Proxy:
    """The organisation's reverse proxy after single sign-on: ``user`` is who signed in."""

    HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "x-remote-user", "host"})

    def __init__(self, upstream: str, port: int) -> None:
        self.user: str | None = None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in proxy.HOP}
                if proxy.user is not None:
                    headers["X-Remote-User"] = proxy.user
                conn = UnixHTTPConnection(upstream)
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in proxy.HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_service(life: Life, acc: Accounts, directory: str) -> subprocess.Popen[str]:
    path = os.path.join(directory, "quarantine.sock")
    proc = subprocess.Popen(
        [sys.executable, "-m", "milter", "quarantine-service", "--socket", path,
         "--group", acc.group, "--delegate-user", acc.member,
         "--postfix-config", str(life.postfix.config_dir), "--policy", str(life.policy),
         "--officer-log", str(life.officer_log), "--audit-log", str(life.audit)],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        assert proc.poll() is None and time.monotonic() < deadline, "no quarantine socket"
        time.sleep(0.05)
    return proc


class BridgeProcess:
    """``postwarden quarantine-gateway`` for gw2: bound here (as root, a free port), then
    forked to serve as the portal's account -- the quarantine service's delegate -- as a
    gateway host would run it under its own user."""

    def __init__(self, acc: Accounts, pki: Pki, service_socket: str) -> None:
        cert, key = pki.issue("gw2.test")
        entry = pwd.getpwnam(acc.member)
        for path in (cert, key):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        context = server_context(cert, key, pki.ca)
        self.bridge = GatewayBridge(("127.0.0.1", 0), context, ["portal.test"], service_socket)
        self.port = self.bridge.port
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.setgroups([grp.getgrnam(acc.group).gr_gid])
                os.setgid(entry.pw_gid)
                os.setuid(entry.pw_uid)
                self.bridge.serve_forever()
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        self.bridge.stop()  # the parent's copy of the listening socket
        self.pid = pid

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


class PortalProcess:
    """``postwarden web`` (milter.portal.web.run) in a child forked from this test and running
    as the portal's account with only the officers' group, as postwarden-web.service runs it.
    Forked, not executed: the test machine's Python may live where that account cannot read
    (root's home), so everything the child needs is imported here first (``preload``)."""

    def __init__(self, acc: Accounts, home: str, config: str, policy: str) -> None:
        entry = pwd.getpwnam(acc.member)
        gid = grp.getgrnam(acc.group).gr_gid
        self.log = os.path.join(home, "web.log")
        preload(os.path.join(home, "preload.sock"), policy)
        pid = os.fork()
        if pid == 0:  # the child: never returns into the test
            code = 70
            try:
                fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.setgroups([gid])
                os.setgid(entry.pw_gid)
                os.setuid(entry.pw_uid)
                code = portal_web.run(config)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        self.pid = pid

    def stop(self) -> str:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        with contextlib.suppress(ChildProcessError):  # reaped already
            while time.monotonic() < deadline:
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.1)
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        return Path(self.log).read_text() if os.path.exists(self.log) else ""


async def _nothing(scope: object, receive: object, send: object) -> None:
    """An ASGI app for preload: uvicorn's Config loads its protocols for it."""


def preload(sock: str, policy: str) -> None:
    """Import what uvicorn (protocols, loop, lifespan) and the policy loader (the content
    scanner) load lazily."""
    config = uvicorn.Config(_nothing, uds=sock, log_config=None)
    config.load()
    load_policy(policy)
    for name in ("uvicorn.lifespan.on", "uvicorn.loops.asyncio", "h11", "email.utils",
                 "python_multipart", "starlette.formparsers", "encodings.unicode_escape",
                 "encodings.idna", "encodings.latin_1", "http.cookies"):  # fmt: skip
        importlib.import_module(name)
    templates = Path(milter.portal.app.HERE) / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True)
    env.filters.update(age=str, when=str, domains=list)  # the portal's own, by name
    for name in os.listdir(templates):
        env.get_template(name)  # compiling imports what Jinja2 needs


def start_portal(
    acc: Accounts, home: str, policy: Path, gateways: list[dict[str, str]], link_key: Path
) -> PortalProcess:
    """``postwarden web`` as the portal's account (the officers' group and no other), with the
    key the gateways sign their notices' links with."""
    entry = pwd.getpwnam(acc.member)
    key = os.path.join(home, "link.key")
    shutil.copy(link_key, key)
    shutil.copy(policy, os.path.join(home, "policy.yaml"))
    listen = os.path.join(home, "web.sock")
    config = {
        "listen": f"unix:{listen}",
        "gateways": gateways,
        "trusted_proxies": ["unix"],
        "token_key_file": key,
        "nonce_db": os.path.join(home, "nonces.sqlite"),
        "policy": os.path.join(home, "policy.yaml"),
        "secure_cookies": False,  # the browser talks plain http to the test's proxy
    }
    Path(home, "web.yaml").write_text(yaml.safe_dump(config))
    for top, subdirs, files in os.walk(home):  # its certificates (pki/) too
        for name in subdirs + files:
            os.chown(os.path.join(top, name), entry.pw_uid, entry.pw_gid)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    portal = PortalProcess(acc, home, os.path.join(home, "web.yaml"), config["policy"])
    deadline = time.monotonic() + 60
    while not os.path.exists(listen):
        if time.monotonic() > deadline or os.waitpid(portal.pid, os.WNOHANG)[0]:
            raise AssertionError(f"the portal did not start: {portal.stop()}")
        time.sleep(0.05)
    return portal


@pytest.fixture(scope="module")
def accounts() -> Iterator[Accounts]:
    with officer_accounts() as acc:
        yield acc


def assert_accessible(driver: WebDriver) -> None:
    """Every visible control has a label (or is a button with text)."""
    for control in driver.find_elements(By.CSS_SELECTOR, "input, select, textarea"):
        if control.get_attribute("type") == "hidden":
            continue
        ident = control.get_attribute("id")
        assert ident, control.get_attribute("name")
        labels = driver.find_elements(By.CSS_SELECTOR, f'label[for="{ident}"]')
        assert labels and labels[0].text.strip(), f"no label for #{ident}"
    for button in driver.find_elements(By.TAG_NAME, "button"):
        assert button.text.strip(), "a button without text"


def tab_reaches(driver: WebDriver, ident: str, limit: int = 60) -> list[str]:
    """Tab from the top of the page until #ident has focus; the focused elements on the way."""
    driver.find_element(By.TAG_NAME, "body").click()
    seen: list[str] = []
    for _ in range(limit):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        focused = driver.switch_to.active_element
        seen.append(focused.get_attribute("id") or focused.tag_name)
        if focused.get_attribute("id") == ident:
            return seen
    raise AssertionError(f"Tab never reached #{ident}: {seen}")


def submit(driver: WebDriver, field: str, text: str) -> None:
    """Type into #field and press Enter there: the keyboard's way to send a form. Returns
    once the answer page has replaced the form (Enter only starts the navigation: reading
    page_source at once may still read the form's page)."""
    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(text)
    element.send_keys(Keys.ENTER)
    wait = WebDriverWait(driver, 60)
    wait.until(expected_conditions.staleness_of(element))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


class TestPortalBrowser:
    def test_officers_and_a_sender_on_two_gateways(
        self,
        postfix_factory: PostfixFactory,
        milter_factory: MilterFactory,
        sink: Sink,
        tmp_path: Path,
        accounts: Accounts,
    ) -> None:
        """Both gateways' held mail in one list; a sender withdraws theirs from the link; fg
        and jb release another (four eyes) and it is delivered. Keyboard and labels work, no
        console errors; screenshots are kept."""
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        # gw1's milter signs the link in its held notice with the portal's key, for the portal
        # behind the proxy's address; the link names the gateway gw1.
        proxy_port = free_port()
        link_key = tmp_path / "link.key"
        tokens.new_key_file(str(link_key))
        portal_settings = (
            f"  portal_url: http://127.0.0.1:{proxy_port}/\n  portal_key: {link_key}\n"
        )
        gw1 = start(
            postfix_factory,
            milter_factory,
            tmp_path / "a",
            QUARANTINE,
            notices=portal_settings,
            serve=("--gateway-name", "gw1"),
        )
        gw2 = start(postfix_factory, milter_factory, tmp_path / "b", QUARANTINE)
        q1, q2 = gw1.hold(), gw2.hold()
        told = sink.wait_for(
            lambda m: notice("sender-held", SENDER)(m) and q1 in m.message.get_body().get_content(),  # type: ignore[union-attr]
            timeout=30,
        )
        text = told.message.get_body().get_content()  # type: ignore[union-attr]
        link = next(w for w in text.split() if w.startswith(f"http://127.0.0.1:{proxy_port}/m/"))
        dirs = [tempfile.mkdtemp(prefix="pw-qs-") for _ in range(3)]
        for d in dirs:
            os.chmod(d, 0o711)
        procs: list[subprocess.Popen[str]] = []
        portal: PortalProcess | None = None
        proxy: Proxy | None = None
        bridge: BridgeProcess | None = None
        try:
            procs.append(start_service(gw1, accounts, dirs[0]))
            procs.append(start_service(gw2, accounts, dirs[1]))
            pki = make_pki(Path(dirs[2]) / "pki")
            bridge = BridgeProcess(accounts, pki, f"{dirs[1]}/quarantine.sock")
            cert, key = pki.issue("portal.test")
            gateways = [
                {"name": "gw1", "address": f"unix:{dirs[0]}/quarantine.sock"},
                {"name": "gw2", "address": f"tls:127.0.0.1:{bridge.port}", "cert": cert,
                 "key": key, "ca": pki.ca, "server_name": "gw2.test"},
            ]  # fmt: skip
            portal = start_portal(accounts, dirs[2], gw1.policy, gateways, link_key)
            proxy = Proxy(f"{dirs[2]}/web.sock", proxy_port)
            with chromium() as browser:
                self.scenarios(browser, proxy, link, gw1, gw2, q1, q2, sink)
        finally:
            if proxy is not None:
                proxy.close()
            if portal is not None:
                print(f"--- postwarden web:\n{portal.stop()[-4000:]}")
            if bridge is not None:
                bridge.stop()
            for proc in procs:
                proc.terminate()
                _, err = proc.communicate(timeout=30)
                print(f"--- quarantine-service:\n{err[-4000:]}")
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)

    def scenarios(self, browser: Browser, proxy: Proxy, link: str, gw1: Life, gw2: Life,
                  q1: str, q2: str, sink: Sink) -> None:  # fmt: skip
        driver = browser.driver

        # An officer sees what is held on both gateways.
        proxy.user = "fg"
        browser.open(proxy.url + "/")
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
        listed = {tuple(r.text.split()[:2]) for r in rows}
        assert {("gw1", q1), ("gw2", q2)} <= listed, listed
        assert_accessible(driver)
        tab_reaches(driver, "f-q")
        browser.screenshot("portal-held.png")
        assert browser.console_errors() == []

        # The sender withdraws the message on gw1 from the link in the notice they got.
        proxy.user = None
        browser.open(link)
        assert "client-data-external" in driver.page_source
        assert_accessible(driver)
        tab_reaches(driver, "withdraw-reason")
        browser.screenshot("portal-sender.png")
        submit(driver, "withdraw-reason", "wrong recipient, sending it securely")
        assert "Your message was withdrawn and deleted." in driver.page_source
        assert all(e["queue_id"] != q1 for e in gw1.postfix.postqueue_json())
        (gone,) = [r for r in gw1.trail() if r["kind"] == "sender_withdraw"]
        assert (gone["withdrawn_by"], gone["recorded_by"]) == (SENDER, "portal")
        assert browser.console_errors() == []

        # Two officers release the message on gw2.
        proxy.user = "fg"
        browser.open(f"{proxy.url}/g/gw2/q/{q2}")
        assert_accessible(driver)
        tab_reaches(driver, "release-reason")
        submit(driver, "release-reason", "partner confirmed by phone")
        assert "approved by fg (portal), waiting for a second officer" in driver.page_source
        browser.screenshot("portal-detail.png")
        assert [e["queue_id"] for e in gw2.postfix.postqueue_json()] == [q2]
        proxy.user = "jb"
        browser.open(f"{proxy.url}/g/gw2/q/{q2}")
        submit(driver, "release-reason", "agreed")
        assert f"released {q2}" in driver.page_source
        sink.wait_for(lambda m: m.rcpt_tos == [EXTERNAL], timeout=30)
        release = next(r for r in gw2.trail() if r["kind"] == "officer_release")
        assert (release["officer"], release["approved_by"]) == ("jb (portal)", "fg (portal)")
        assert browser.console_errors() == []
        requested = [u for u in browser.requested_urls() if not u.startswith(proxy.url)]
        assert requested == [], requested  # nothing fetched from anywhere else
