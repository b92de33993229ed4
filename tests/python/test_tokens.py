"""Qi's tokens against HS256 as Python's standard library alone computes
it (hmac, hashlib, base64): the JWT that ``qi --headless auth
service-token`` prints checks with the key in the data folder, and a JWT
made here with that key, as any JWT library would make it, logs ``qi`` in
(``QI_SERVICE_TOKEN``); one that is forged, of another algorithm or
malformed is refused with the reason.

The service token key is the one key a test can read: the text of
``service-token.key`` (64 hexadecimal digits) is the HMAC key.
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time

import pytest

from test_hub_server import QI_EXE

PASSWORD = "correct horse battery"
REFUSED = "qi: not logged in: QI_SERVICE_TOKEN is not a service token of this machine's Qi: "
NOT_SIGNED = "The token was not signed by this Qi server (it may come from an earlier run)"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def hs256(key, signing_input):
    return b64url(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def make_token(key, header, claims):
    """A compact JWS of two JSON texts (or objects), signed with HS256."""
    parts = [b64url((part if isinstance(part, str) else json.dumps(part, separators=(",", ":"))).encode())
             for part in (header, claims)]
    signing_input = ".".join(parts)
    return signing_input + "." + hs256(key, signing_input)


class Farm:
    """A data folder with an admin, ``root``, and the user ``farm``, whose
    service token the real ``qi`` issued."""

    def __init__(self, tmp_path):
        # not the caller's Qi configuration, but this build's addons (the tracker's among them)
        env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k == "QI_ADDON_DIR"}
        for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            d = tmp_path / var.lower()
            d.mkdir(mode=0o700, exist_ok=True)
            env[var] = str(d)
        # no desktop keyring, no session bus: the login is the token's alone
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env["QI_NO_KEYRING"] = "1"
        env["GSETTINGS_BACKEND"] = "memory"
        self.env = env
        self.qi("user", "add", "root", "--role", "admin", "--password-stdin", stdin=PASSWORD)
        self.qi("user", "add", "farm", "--password-stdin", stdin=PASSWORD)
        self.token = self.qi("auth", "service-token", "--user", "farm", "--lifetime", "7", "--admin", "root",
                             "--password-stdin", stdin=PASSWORD).stdout.strip()
        with open(os.path.join(env["XDG_DATA_HOME"], "qi", "service-token.key"), "rb") as f:
            self.key = f.read().strip()

    def qi(self, *args, stdin=None, env=None, check=True):
        done = subprocess.run([QI_EXE, "--headless", *args], input=(stdin + "\n") if stdin else None,
                              env=env or self.env, capture_output=True, text=True, timeout=30)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def login(self, token):
        """The stderr of ``qi status`` with QI_SERVICE_TOKEN set."""
        return self.qi("--log-level", "debug", "status", env=dict(self.env, QI_SERVICE_TOKEN=token)).stderr

    def claims(self, **changes):
        now = int(time.time())
        claims = {"exp": now + 600, "iat": now, "iss": "qi", "jti": "0" * 32, "scopes": ["service"],
                  "sub": "service/farm"}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def farm(tmp_path):
    return Farm(tmp_path)


def test_a_token_of_qi_checks_with_the_standard_library(farm):
    header_part, claims_part, signature = farm.token.split(".")
    assert "=" not in farm.token and "+" not in farm.token and "/" not in farm.token
    assert unb64url(header_part) == b'{"alg":"HS256","typ":"JWT"}'
    assert hmac.compare_digest(signature, hs256(farm.key, header_part + "." + claims_part))
    assert not hmac.compare_digest(signature, hs256(farm.key + b"0", header_part + "." + claims_part))

    claims = json.loads(unb64url(claims_part))
    assert list(claims) == ["exp", "iat", "iss", "jti", "scopes", "sub"]
    assert claims["iss"] == "qi"
    assert claims["sub"] == "service/farm"
    assert claims["scopes"] == ["service"]
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
    assert abs(claims["iat"] - time.time()) < 60
    assert len(claims["jti"]) == 32 and int(claims["jti"], 16) >= 0

    # and it logs a process in
    assert "2.3: logged in as farm (local)" in farm.login(farm.token)


@pytest.mark.parametrize("header", [
    {"alg": "HS256", "typ": "JWT"},
    {"typ": "JWT", "alg": "HS256"},
    {"alg": "HS256"},
    {"alg": "HS256", "typ": "JWT", "kid": "farm-1"},
])
def test_a_token_made_with_the_key_logs_in(farm, header):
    token = make_token(farm.key, header, farm.claims())
    assert "2.3: logged in as farm (local)" in farm.login(token)


def test_refused_tokens_say_why(farm):
    header = {"alg": "HS256", "typ": "JWT"}
    unsigned = make_token(farm.key, {"alg": "none", "typ": "JWT"}, farm.claims())
    hs512_parts = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode())
                           for part in ({"alg": "HS512", "typ": "JWT"}, farm.claims()))
    hs512 = hs512_parts + "." + b64url(hmac.new(farm.key, hs512_parts.encode(), hashlib.sha512).digest())
    cases = [
        (unsigned.rsplit(".", 1)[0] + ".", NOT_SIGNED),
        (unsigned, NOT_SIGNED),
        (hs512, NOT_SIGNED),
        (make_token(b"another key" * 4, header, farm.claims()), NOT_SIGNED),
        (farm.token[:-1] + ("A" if farm.token[-1] != "A" else "Q"), NOT_SIGNED),
        (make_token(farm.key, header, farm.claims(exp=int(time.time()) - 1)), "The token has expired"),
        (make_token(farm.key, header, farm.claims(iss="joe")),
         "The token’s “iss” or “sub” claim is missing or wrong"),
        (make_token(farm.key, header, farm.claims(exp=None)), "The token has no “exp” claim"),
        (make_token(farm.key, header, farm.claims(scopes="service")),
         "The token’s “scopes” claim is missing or not an array of strings"),
        (make_token(farm.key, '{"alg":"none","alg":"HS256","typ":"JWT"}', farm.claims()),
         "The token is not a JSON Web Token"),
        (make_token(farm.key, header, json.dumps(farm.claims())[:-1] + ',"sub":"service/root"}'),
         "The token is not a JSON Web Token"),
    ]
    for token, reason in cases:
        assert REFUSED + reason + "\n" in farm.login(token), token
