"""The university's identity provider, spoken to through Authlib's OpenID Connect client.

The provider is found by discovery from OIDC_ISSUER. Authlib keeps state, nonce and the PKCE
verifier (S256) in the person's session and checks them at the callback, with the ID token's
signature, issuer, audience and expiry. Whether the provider answers is remembered for
OIDC_RETRY_AFTER seconds, so a provider that is down costs the sign-in page one short attempt, not
one per visitor; the memory is per process and only saves time (a stale answer is corrected at the
next attempt).

Authlib, requests and the cryptography they bring (about 17 MB) are imported only when single sign-on
is configured: an instance without it does not pay for them in every worker (see README, Performance).
"""
import logging
import threading
import time

from flask import Flask, current_app, request, session

from app.people.sso import SsoSettings

logger = logging.getLogger(__name__)

NAME = "university"
STATE_PREFIX = f"_state_{NAME}_"   # where Authlib keeps a started sign-in in the session


class ProviderUnavailable(Exception):
    """The identity provider did not answer, or answered nonsense."""


class CallbackRefused(Exception):
    """The callback is not one to trust: wrong or missing state, a code refused by the provider
    (expired, reused, or redeemed without the right PKCE verifier), a bad ID token or nonce."""


class Provider:
    """One app's link to the identity provider: the Authlib client and what discovery found."""

    def __init__(self, app: Flask):
        from authlib.integrations.flask_client import OAuth

        config = app.config
        self.issuer = config["OIDC_ISSUER"]
        self.settings = SsoSettings.from_config(config)
        self.timeout = config["OIDC_TIMEOUT"]
        self.retry_after = config["OIDC_RETRY_AFTER"]
        self.oauth = OAuth(app)
        self.client = self.oauth.register(
            NAME, client_id=config["OIDC_CLIENT_ID"], client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256",
                           "default_timeout": self.timeout},
        )
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._answered = False

    def discover(self) -> dict:
        """Fetch (or reuse) the provider's metadata; raise ProviderUnavailable when it does not answer."""
        import requests

        now = time.monotonic()
        with self._lock:
            fresh = self._checked_at is not None and now - self._checked_at < self.retry_after
            if fresh:
                if not self._answered:
                    raise ProviderUnavailable()
                return self.client.server_metadata
            try:
                response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=self.timeout)
                response.raise_for_status()
                metadata = response.json()
                if metadata.get("issuer", "").rstrip("/") != self.issuer or "authorization_endpoint" not in metadata:
                    raise ValueError("the discovery document names another issuer or no authorization endpoint")
            except (requests.RequestException, ValueError) as error:
                self._checked_at, self._answered = now, False
                logger.warning("identity provider %s unavailable: %s", self.issuer, error)
                raise ProviderUnavailable() from error
            metadata["_loaded_at"] = time.time()
            self.client.server_metadata = metadata
            self._checked_at, self._answered = now, True
            return metadata

    def available(self) -> bool:
        """True when the provider answered discovery (recently)."""
        try:
            self.discover()
        except ProviderUnavailable:
            return False
        return True

    def redirect_to_sign_in(self, redirect_uri: str):
        """Answer with a redirect to the provider's sign-in page (state, nonce, PKCE kept in the session).

        Only the latest sign-in started in a browser can finish: earlier ones are forgotten, so the
        session cookie does not grow with every click."""
        self.discover()
        for key in [key for key in session if key.startswith(STATE_PREFIX)]:
            session.pop(key)
        return self.client.authorize_redirect(redirect_uri)

    def claims_from_callback(self) -> dict:
        """Check the callback (state), redeem the code (PKCE), check the ID token (nonce) and return the claims.

        Claims the provider gives only at its userinfo endpoint are added, when they are about the
        same subject. Raises CallbackRefused, or ProviderUnavailable when the provider does not answer."""
        import requests
        from authlib.common.errors import AuthlibBaseError
        from joserfc.errors import JoseError

        self.discover()
        kept = session.get(STATE_PREFIX + request.args.get("state", ""))
        if isinstance(kept, dict) and kept.get("exp", 0) < time.time():
            session.pop(STATE_PREFIX + request.args.get("state", ""))
            raise CallbackRefused("the sign-in was started more than an hour ago")
        try:
            token = self.client.authorize_access_token()
            claims = dict(token.get("userinfo") or {})
            if not claims.get("sub"):
                raise CallbackRefused("the provider sent no ID token")
            more = self.client.userinfo(token=token) if self.client.server_metadata.get("userinfo_endpoint") else {}
        except requests.RequestException as error:
            raise ProviderUnavailable() from error
        except (AuthlibBaseError, JoseError) as error:
            raise CallbackRefused(str(error)) from error
        if more and more.get("sub") == claims["sub"]:
            claims = {**more, **claims}   # the signed ID token wins where both speak
        return claims


def init_sso(app: Flask) -> None:
    """Link the app to the identity provider when OIDC_ISSUER is set (nothing is fetched yet)."""
    if app.config.get("OIDC_ISSUER"):
        app.extensions["sso"] = Provider(app)


def provider() -> Provider | None:
    """The current app's identity provider link, or None when single sign-on is not configured."""
    return current_app.extensions.get("sso")
