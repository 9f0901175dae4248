"""A small OpenID Connect provider on loopback, for the sign-in tests.

It serves the token, userinfo and JWKS endpoints over real HTTP and signs ID tokens with a fresh
RSA key (RS256), so mozilla-django-oidc runs its whole code flow: token request, signature check
against the JWKS, nonce check, userinfo. The test plays the user's browser: it reads `state` and
`nonce` from the authorization redirect and calls `approve(...)` with the claims to hand out.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "test-key"


@dataclass
class Grant:
    nonce: str
    claims: dict[str, Any]
    access_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))


class Provider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.grants: dict[str, Grant] = {}  # code -> grant
        self.tokens: dict[str, dict[str, Any]] = {}  # access token -> userinfo claims
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def approve(self, nonce: str, claims: dict[str, Any]) -> str:
        """The user signed in at the provider: a one-time code for these claims."""
        code = secrets.token_urlsafe(12)
        self.grants[code] = Grant(nonce, claims)
        return code

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id,
                                                                 self.client_secret):
            return 401, {"error": "invalid_client"}
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None:
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        id_token = jwt.encode({"iss": self.url, "aud": self.client_id, "sub": grant.claims["sub"],
                               "iat": now, "exp": now + 300, "nonce": grant.nonce},
                              self.key, algorithm="RS256", headers={"kid": KID})
        self.tokens[grant.access_token] = grant.claims
        return 200, {"access_token": grant.access_token, "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                provider.requests.append(f"GET {self.path}")
                if self.path == "/jwks":
                    self._send(200, provider.jwks())
                elif self.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider.tokens.get(token)
                    self._send(200, claims) if claims else self._send(401, {"error": "token"})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self) -> None:
                provider.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path == "/token":
                    self._send(*provider._token(form))
                else:
                    self._send(404, {"error": "not found"})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
