"""The web portal (``postwarden web``): officers review held mail across gateways; senders
answer the notice about their one message.

Starlette, Jinja2 templates rendered on the server, one stylesheet, no JavaScript. Every page
and every form goes through the same checks:

- **The peer.** Only a configured trusted proxy (an address/CIDR, or ``unix`` when the portal
  listens on a unix socket behind nginx) is served at all; anyone else gets 403. The user name
  comes from the proxy's header (``user_header``) and from nowhere else.
- **Officers** are the users the policy lists in ``quarantine.officers``; an officer not listed
  sees nothing (403). What they may do beyond reading (release, delete, content) comes from
  the same entry; the quarantine service checks it again (it is the portal's delegate check,
  milter.officer.service) and records the officer as "NAME (portal)".
- **Senders** reach only ``/m/<token>``: the token (milter.portal.tokens) names the gateway,
  queue id and sender; the portal acts on exactly that message, as that sender, and each
  action (request, withdraw) is single use per token (milter.portal.nonces).
- **Sessions** are kept in memory (one process), with an absolute lifetime of
  ``session_minutes``; the cookie is HttpOnly, SameSite=Strict (Secure unless configured off
  for a test on plain http). A session belongs to one user: a different user header starts a
  new one. Every form carries the session's CSRF token in a hidden field; a POST without the
  right one is refused (403) and nothing is done.
- **Headers** on every response: a CSP of ``default-src 'none'; style-src 'self'; form-action
  'self'; frame-ancestors 'none'; base-uri 'none'``, X-Content-Type-Options nosniff,
  Referrer-Policy no-referrer (a token in a URL never leaks to another site), Cache-Control
  no-store, X-Frame-Options DENY.

A gateway that does not answer is shown as unreachable, never as an empty list. The portal logs
(JSON, structlog) one event per action with the user, gateway, queue id and outcome: never a
reason, an address or message text. It refuses: unknown gateways, anything a token does not
name, and every form without its CSRF token.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from milter.policy import PolicyError, load_policy
from milter.policy.model import OfficerRole, Policy
from milter.portal import tokens
from milter.portal.config import PortalConfig
from milter.portal.domainwatch import read_states
from milter.portal.gateways import Gateway, GatewayRefused, GatewayUnreachable, gateway_from
from milter.portal.nonces import NonceStore

_log = structlog.get_logger("postwarden.portal")

HERE = os.path.dirname(__file__)
COOKIE = "pw_session"
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")  # what the service accepts
_QUEUE_ID = re.compile(r"^[0-9A-Za-z]{5,20}$")
MAX_REASON = 300
MAX_SESSIONS = 10_000  # sessions live in memory; a page without a cookie starts one
CSP = (
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Pure ASGI middleware: SECURITY_HEADERS on every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass
class Session:
    id: str
    user: str | None
    csrf: str
    expires: float
    flash: list[str] = field(default_factory=list)


class Forbidden(Exception):
    """403 with this text (never request content)."""


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86_400} d {seconds % 86_400 // 3600} h"


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _domains(recipients: list[str]) -> list[str]:
    return sorted({r.rpartition("@")[2].lower() for r in recipients if "@" in r})


def _reason(form: Mapping[str, Any]) -> str:
    text = " ".join(str(form.get("reason", "")).split())
    if not 1 <= len(text) <= MAX_REASON:
        raise GatewayRefused(f"give a reason (1 to {MAX_REASON} characters)")
    return text


class Portal:
    """The application's state: configuration, gateways, sessions, the link key, the nonces."""

    def __init__(
        self,
        config: PortalConfig,
        gateways: list[Gateway] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.gateways: dict[str, Gateway] = {
            g.name: g for g in (gateways or [gateway_from(spec) for spec in config.gateways])
        }
        self.key = tokens.read_key(config.token_key_file)
        self.nonces = NonceStore(config.nonce_db)
        self.clock = clock
        self.sessions: dict[str, Session] = {}
        self._policy: tuple[tuple[int, int], Policy] | None = None
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["age"] = _age
        self.env.filters["when"] = _when
        self.env.filters["domains"] = _domains

    # -- policy, sessions, users --------------------------------------------------------

    def policy(self) -> Policy:
        """The policy in force, reloaded when its file changes (PolicyError when it does not
        load: the officer pages then refuse, fail closed)."""
        st = os.stat(self.config.policy)
        stamp = (st.st_mtime_ns, st.st_size)
        if self._policy is None or self._policy[0] != stamp:
            self._policy = (stamp, load_policy(self.config.policy))
        return self._policy[1]

    def session(self, request: Request, user: str | None) -> Session:
        now = self.clock()
        for sid in [s for s, v in self.sessions.items() if v.expires <= now]:
            del self.sessions[sid]
        found = self.sessions.get(request.cookies.get(COOKIE, ""))
        if found is not None and (user is None or found.user == user):
            return found
        fresh = Session(
            secrets.token_urlsafe(32),
            user,
            secrets.token_urlsafe(32),
            now + self.config.session_minutes * 60,
        )
        if len(self.sessions) >= MAX_SESSIONS:  # a flood of cookieless requests: oldest go
            for sid in sorted(self.sessions, key=lambda s: self.sessions[s].expires)[:1000]:
                del self.sessions[sid]
        self.sessions[fresh.id] = fresh
        return fresh

    def user(self, request: Request) -> str | None:
        value = request.headers.get(self.config.user_header, "").strip()
        return value if _USER.match(value) else None

    def officer(self, request: Request) -> tuple[str, OfficerRole, Session]:
        """The officer making this request, their role and session; Forbidden otherwise."""
        user = self.user(request)
        if user is None:
            raise Forbidden("officer pages need a signed-in officer (through the proxy)")
        try:
            roles = {r.user: r for r in self.policy().officers}
        except (PolicyError, OSError):
            raise Forbidden("the policy does not load: nothing is shown") from None
        role = roles.get(user)
        if role is None:
            raise Forbidden(f"{user} is not an officer in the policy (quarantine.officers)")
        return user, role, self.session(request, user)

    @staticmethod
    async def form(request: Request, session: Session) -> Mapping[str, Any]:
        """The posted form, after its CSRF token was checked; Forbidden otherwise."""
        form = await request.form()
        given = str(form.get("csrf", ""))
        if not given or not hmac.compare_digest(given, session.csrf):
            raise Forbidden("the form has expired or did not come from this portal: reload it")
        return form

    def render(
        self, request: Request, name: str, session: Session | None, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        flash = list(session.flash) if session else []
        if session:
            session.flash.clear()
        ctx.setdefault("user", None)
        html = self.env.get_template(name).render(
            csrf=session.csrf if session else "", flash=flash, **ctx
        )
        response = HTMLResponse(html, status_code=status)
        if session is not None:
            response.set_cookie(
                COOKIE,
                session.id,
                max_age=max(1, int(session.expires - self.clock())),
                path="/",
                secure=self.config.secure_cookies,
                httponly=True,
                samesite="strict",
            )
        return response

    def redirect(self, url: str, session: Session, note: str) -> Response:
        session.flash.append(note)
        return RedirectResponse(url, status_code=303)

    # -- officers' pages --------------------------------------------------------------

    def _each(self, op: str, params: dict[str, Any], user: str) -> tuple[list[Any], dict[str, str]]:
        """``op`` on every gateway: (gateway, result) pairs and the gateways' problems."""
        results: list[Any] = []
        problems: dict[str, str] = {}
        for name, gw in self.gateways.items():
            try:
                results.append((name, gw.call(op, params, {"officer": user})))
            except GatewayUnreachable:
                problems[name] = "unreachable"
            except GatewayRefused as exc:
                problems[name] = f"refused: {exc}"
        return results, problems

    async def held(self, request: Request) -> Response:
        user, _role, session = self.officer(request)
        results, problems = self._each("list", {}, user)
        want_gw = request.query_params.get("gateway", "")
        want_rule = request.query_params.get("rule", "")
        search = request.query_params.get("q", "").strip().lower()
        rows, rules = [], set()
        for name, result in results:
            for m in result.get("messages", []):
                rules.update(m.get("rules", []))
                if want_gw and name != want_gw:
                    continue
                if want_rule and want_rule not in m.get("rules", []):
                    continue
                if search and search not in m["sender"].lower() and search != m["queue_id"].lower():
                    continue
                rows.append({"gateway": name, **m})
        rows.sort(key=lambda r: r["arrival_time"])
        _log.info("portal_list", user=user, shown=len(rows), unreachable=sorted(problems))
        return self.render(
            request,
            "held.html",
            session,
            user=user,
            rows=rows,
            problems=problems,
            gateways=list(self.gateways),
            rules=sorted(rules),
            want_gw=want_gw,
            want_rule=want_rule,
            search=search,
            now=self.clock(),
        )

    def _gateway(self, request: Request) -> tuple[Gateway, str]:
        name, qid = request.path_params["gateway"], request.path_params["queue_id"]
        if name not in self.gateways or not _QUEUE_ID.match(qid):
            raise Forbidden("no such gateway or queue id")
        return self.gateways[name], qid

    async def detail(self, request: Request) -> Response:
        user, role, session = self.officer(request)
        gw, qid = self._gateway(request)
        try:
            shown = gw.call("show", {"queue_id": qid}, {"officer": user})
        except GatewayUnreachable:
            return self.render(
                request,
                "error.html",
                session,
                502,
                user=user,
                message=f"gateway {gw.name} is unreachable",
            )
        except GatewayRefused as exc:
            return self.render(request, "error.html", session, 404, user=user, message=str(exc))
        return self.render(
            request,
            "detail.html",
            session,
            user=user,
            may=role.may,
            gateway=gw.name,
            m=shown["message"],
            decisions=shown.get("decisions", []),
            headers=shown.get("headers", []),
            now=self.clock(),
            descriptions=self._descriptions(),
        )

    def _descriptions(self) -> dict[str, str]:
        with contextlib.suppress(PolicyError, OSError):
            content = self.policy().content
            if content is not None:
                return {r.id: r.description or "" for r in content.rules}
        return {}

    async def act(self, request: Request) -> Response:
        """release or delete, with a reason; four eyes is the service's (its answer says)."""
        user, role, session = self.officer(request)
        gw, qid = self._gateway(request)
        op = request.path_params["op"]
        if op not in ("release", "delete") or op not in role.may:
            raise Forbidden(f"{user} may not {op} (quarantine.officers: may)")
        form = await self.form(request, session)
        back = f"/g/{gw.name}/q/{qid}"
        try:
            params: dict[str, Any] = {"queue_id": qid, "reason": _reason(form)}
            outcome = gw.call(op, params, {"officer": user})
        except GatewayUnreachable:
            _log.warning(
                "portal_action",
                user=user,
                op=op,
                gateway=gw.name,
                queue_id=qid,
                outcome="unreachable",
            )
            return self.redirect(back, session, f"gateway {gw.name} is unreachable: nothing done")
        except GatewayRefused as exc:
            _log.info(
                "portal_action", user=user, op=op, gateway=gw.name, queue_id=qid, outcome="refused"
            )
            return self.redirect(back, session, f"not done: {exc}")
        _log.info(
            "portal_action",
            user=user,
            op=op,
            gateway=gw.name,
            queue_id=qid,
            outcome="done" if outcome.get("done") else "pending",
        )
        message = str(outcome.get("message", ""))
        return self.redirect("/" if outcome.get("done") else back, session, message)

    async def content(self, request: Request) -> Response:
        """The message text, after a reason; the service records the reading first."""
        user, role, session = self.officer(request)
        gw, qid = self._gateway(request)
        if "content" not in role.may:
            raise Forbidden(f"{user} may not see content (quarantine.officers: may)")
        form = await self.form(request, session)
        try:
            shown = gw.call(
                "show_content", {"queue_id": qid, "reason": _reason(form)}, {"officer": user}
            )
        except GatewayUnreachable:
            return self.redirect(
                f"/g/{gw.name}/q/{qid}", session, f"gateway {gw.name} is unreachable"
            )
        except GatewayRefused as exc:
            return self.redirect(f"/g/{gw.name}/q/{qid}", session, f"not shown: {exc}")
        _log.info("portal_show_content", user=user, gateway=gw.name, queue_id=qid)
        return self.render(
            request, "content.html", session, user=user, gateway=gw.name, qid=qid, c=shown
        )

    async def trail(self, request: Request) -> Response:
        user, _role, session = self.officer(request)
        results, problems = self._each("trail", {"limit": 100}, user)
        records = [
            {"gateway": name, **r}
            for name, result in results
            for r in result.get("records", [])
            if r.get("kind") != "checkpoint"
        ]
        records.sort(key=lambda r: str(r.get("time", "")), reverse=True)
        return self.render(
            request, "trail.html", session, user=user, records=records, problems=problems
        )

    async def policy_view(self, request: Request) -> Response:
        user, _role, session = self.officer(request)
        policy = self.policy()
        url = self.config.metrics_url
        states = await run_in_threadpool(read_states, url) if url else None
        return self.render(
            request,
            "policy.html",
            session,
            user=user,
            p=policy,
            today=dt.datetime.now(dt.UTC).date(),
            metrics_url=url,
            states=states,
        )

    # -- senders' page ------------------------------------------------------------------

    def _claims(self, request: Request) -> tuple[tokens.Claims, Gateway]:
        try:
            claims = tokens.verify(self.key, request.path_params["token"], self.clock())
        except tokens.TokenError as exc:
            raise Forbidden(f"this link cannot be used: {exc}") from None
        gw = self.gateways.get(claims.gateway)
        if gw is None:
            raise Forbidden("this link cannot be used: it names a gateway this portal lacks")
        return claims, gw

    @staticmethod
    def _as_sender(claims: tokens.Claims) -> dict[str, str]:
        return {"sender": claims.sender, "token": claims.nonce}

    async def sender_page(self, request: Request) -> Response:
        claims, gw = self._claims(request)
        session = self.session(request, None)
        try:
            shown = gw.call("show", {"queue_id": claims.queue_id}, self._as_sender(claims))
        except GatewayUnreachable:
            return self.render(
                request,
                "error.html",
                session,
                502,
                user=None,
                message="the mail gateway cannot be reached now: try again later",
            )
        except GatewayRefused:
            return self.render(
                request,
                "sender.html",
                session,
                m=None,
                decisions=[],
                descriptions={},
                token=request.path_params["token"],
                now=self.clock(),
            )
        return self.render(
            request,
            "sender.html",
            session,
            m=shown["message"],
            decisions=shown.get("decisions", []),
            descriptions=self._descriptions(),
            token=request.path_params["token"],
            now=self.clock(),
        )

    async def sender_act(self, request: Request) -> Response:
        claims, gw = self._claims(request)
        session = self.session(request, None)
        form = await self.form(request, session)
        op = request.path_params["op"]
        back = f"/m/{request.path_params['token']}"
        if op not in ("request", "withdraw"):
            raise Forbidden("a link can ask for release or withdraw, nothing else")
        try:
            reason = _reason(form)
        except GatewayRefused as exc:
            return self.redirect(back, session, str(exc))
        if not self.nonces.claim(claims.nonce, op, claims.expires, self.clock()):
            _log.warning("portal_link_replayed", op=op, gateway=gw.name, queue_id=claims.queue_id)
            raise Forbidden("this link has been used for that already")
        try:
            gw.call(op, {"queue_id": claims.queue_id, "reason": reason}, self._as_sender(claims))
        except (GatewayUnreachable, GatewayRefused) as exc:
            self.nonces.unclaim(claims.nonce, op)  # nothing was done: the link still works
            _log.info(
                "portal_sender_action",
                op=op,
                gateway=gw.name,
                queue_id=claims.queue_id,
                outcome=type(exc).__name__,
            )
            text = (
                "the mail gateway cannot be reached now"
                if isinstance(exc, GatewayUnreachable)
                else f"not done: {exc}"
            )
            return self.redirect(back, session, text)
        _log.info(
            "portal_sender_action", op=op, gateway=gw.name, queue_id=claims.queue_id, outcome="done"
        )
        done = (
            "Your message was withdrawn and deleted."
            if op == "withdraw"
            else "Your request was recorded; an officer decides."
        )
        return self.redirect(back, session, done)

    async def stylesheet(self, request: Request) -> Response:
        with open(os.path.join(HERE, "static", "portal.css"), encoding="utf-8") as fh:
            return Response(fh.read(), media_type="text/css")


def create_app(
    config: PortalConfig,
    gateways: list[Gateway] | None = None,
    clock: Callable[[], float] = time.time,
) -> ASGIApp:
    """The ASGI application: the peer check, then the routes, every response with
    SECURITY_HEADERS."""
    portal = Portal(config, gateways, clock)

    def guarded(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            client = request.client.host if request.client else None
            if not config.trusts(client):
                _log.warning("portal_untrusted_peer", peer=client)
                return Response(
                    "403: not through the portal's proxy\n", 403, media_type="text/plain"
                )
            try:
                return await handler(request)
            except Forbidden as exc:
                return portal.render(request, "error.html", None, 403, user=None, message=str(exc))
            except Exception as exc:  # fail closed: an error page, never a half-done action
                _log.error(
                    "portal_internal_error", error=type(exc).__name__, handler=handler.__name__
                )
                return portal.render(
                    request,
                    "error.html",
                    None,
                    500,
                    user=None,
                    message="internal error (the portal's journal has its type)",
                )

        return endpoint

    routes = [
        Route("/", guarded(portal.held)),
        Route("/trail", guarded(portal.trail)),
        Route("/policy", guarded(portal.policy_view)),
        Route("/g/{gateway}/q/{queue_id}", guarded(portal.detail)),
        Route("/g/{gateway}/q/{queue_id}/content", guarded(portal.content), methods=["POST"]),
        Route("/g/{gateway}/q/{queue_id}/{op}", guarded(portal.act), methods=["POST"]),
        Route("/m/{token}", guarded(portal.sender_page)),
        Route("/m/{token}/{op}", guarded(portal.sender_act), methods=["POST"]),
        Route("/static/portal.css", guarded(portal.stylesheet)),
    ]
    app = Starlette(routes=routes)
    app.state.portal = portal
    return SecurityHeaders(app)
