"""A tiny OpenID Connect identity provider on 127.0.0.1 for the sign-in tests (no internet).

It knows one person (:attr:`OidcStub.email`) and signs everyone in as them at once:

* ``/.well-known/openid-configuration`` -- the discovery document;
* ``/authorize`` -- redirects back to the client's ``redirect_uri`` with a one-time ``code`` and
  the ``state`` it was given (no login form);
* ``/token`` -- exchanges the code (client id and secret checked, HTTP Basic or form) for an
  ``id_token`` signed RS256 with a key made by :mod:`cryptography`, carrying the ``nonce``;
* ``/jwks`` -- the public key; ``/userinfo`` -- the same claims.

Use as a context manager: ``with OidcStub(email="anna@leipzig.de") as idp: idp.issuer``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLIENT_ID = "quartiersmonitor-test"
CLIENT_SECRET = "stub-client-secret"  # noqa: S105 - a test double's fixed secret
KEY_ID = "stub-key-1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class OidcStub:
    """The identity provider; :attr:`issuer` is its base URL once started."""

    email: str
    name: str = "Anna Beispiel"
    email_verified: bool = True
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
                          "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}]}

    def claims(self, nonce: str | None = None) -> dict[str, Any]:
        now = int(time.time())
        out: dict[str, Any] = {"iss": self.issuer, "sub": "stub-" + self.email, "aud": self.client_id,
                               "iat": now, "exp": now + 600, "email": self.email,
                               "email_verified": self.email_verified, "name": self.name}
        if nonce:
            out["nonce"] = nonce
        return out

    def id_token(self, nonce: str | None) -> str:
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": KEY_ID}).encode())
        payload = _b64(json.dumps(self.claims(nonce)).encode())
        signature = self._key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64(signature)}"

    # -- the server ---------------------------------------------------------------------------------------

    def start(self) -> OidcStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(self, body: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                stub.requests.append(url.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(stub.discovery())
                elif url.path == "/jwks":
                    self._json(stub.jwks())
                elif url.path == "/userinfo":
                    self._json(stub.claims())
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    if query.get("client_id") != stub.client_id:
                        self._json({"error": "unauthorized_client"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    stub.codes[code] = {"nonce": query.get("nonce"), "redirect_uri": query["redirect_uri"]}
                    target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                stub.requests.append(url.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                client, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    client, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                if url.path != "/token":
                    self._json({"error": "not_found"}, 404)
                elif (client, secret) != (stub.client_id, stub.client_secret):
                    self._json({"error": "invalid_client"}, 401)
                elif (grant := stub.codes.pop(form.get("code", ""), None)) is None:
                    self._json({"error": "invalid_grant"}, 400)
                else:
                    self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                "expires_in": 600, "id_token": stub.id_token(grant["nonce"])})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OidcStub:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def secrets_toml(self, app_url: str, *, cookie_secret: str = "stub-cookie-secret-0123456789abcdef") -> str:
        """The ``[auth]`` section of ``secrets.toml`` for an app at ``app_url`` signing in here."""
        return (
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{cookie_secret}"\n'
            f'client_id = "{self.client_id}"\n'
            f'client_secret = "{self.client_secret}"\n'
            f'server_metadata_url = "{self.metadata_url}"\n'
        )
