"""Logging in through the real server: a user added with `qi --headless
user add` logs in over the hub (auth.login), and the token it gets opens
the hub and the REST routes of that server, as the info file's does; a
wrong password gets the one message that says nothing of which part was
wrong."""
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

import qi.hub
from qi.hub import HandshakeError, HubError

from test_hub_server import QI_EXE, QiServer, T, wait_until


def add_user(tmp_path, name, password):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k == "QI_ADDON_DIR"}
    for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700, exist_ok=True)
        env[var] = str(d)
    done = subprocess.run([QI_EXE, "--headless", "user", "add", name, "--full-name", "Ada Okafor",
                           "--password-stdin"], input=password + "\n", env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr


def test_a_login_token_opens_the_server(tmp_path):
    add_user(tmp_path, "ada", "correct horse battery")
    s = QiServer(tmp_path)
    try:
        with qi.hub.connect(s.url, s.token, name="ui/login", timeout=T) as c:
            with pytest.raises(HubError) as refused:
                c.request("auth.login", {"username": "ada", "password": "wrong horse"}, timeout=T)
            assert refused.value.code == "unauthorized"
            assert "unknown user or wrong password" in refused.value.message
            session = c.request("auth.login", {"username": "ada", "password": "correct horse battery"}, timeout=T)
        assert session["user"]["username"] == "ada"
        assert "artist" in session["roles"]

        # The user's own token opens the hub, and its session is the user's.
        with qi.hub.connect(s.url, session["token"], timeout=T) as user:
            assert user.request("hub.ping", {"n": 1}, timeout=T) == {"n": 1}
            assert user.request("auth.whoami", {"token": session["token"]}, timeout=T)["user"]["username"] == "ada"
            ids = [x["id"] for x in user.request("hub.sessions", timeout=T)["sessions"]]
            assert any(i.startswith("user/ada") for i in ids)

        request = urllib.request.Request(s.info["http"] + "/api/settings/nothing",
                                         headers={"Authorization": "Bearer " + session["token"]})
        try:
            urllib.request.urlopen(request, timeout=T)
        except urllib.error.HTTPError as e:
            # Past the token check: the route answers (no such addon), not 401.
            assert e.code == 404, e.read()

        with pytest.raises(HandshakeError) as forged:
            qi.hub.connect(s.url, session["token"][:-4] + "AAAA", timeout=T)
        assert forged.value.status == 401
    finally:
        s.stop()


def test_logout_and_refresh_revoke_the_token_on_the_server(tmp_path):
    """`qi serve` asks the auth service about user tokens: one logged out
    or replaced by a refresh no longer opens /ws or REST, and the
    WebSocket opened with it is closed with 1008 and the reason."""
    add_user(tmp_path, "ada", "correct horse battery")
    s = QiServer(tmp_path)
    try:
        with qi.hub.connect(s.url, s.token, name="ui/login", timeout=T) as c:
            first = c.request("auth.login", {"username": "ada", "password": "correct horse battery"}, timeout=T)
            assert first["provider"] == "local"
            user = qi.hub.connect(s.url, first["token"], timeout=T)
            assert user.request("hub.ping", {"n": 1}, timeout=T) == {"n": 1}

            assert c.request("auth.logout", {"token": first["token"]}, timeout=T) == {"logged_out": True}
            assert wait_until(lambda: not user.connected)
            assert user.close_code == 1008
            assert user.close_reason == "the session was logged out"
            user.close(timeout=1)
            with pytest.raises(HandshakeError) as refused:
                qi.hub.connect(s.url, first["token"], timeout=T)
            assert refused.value.status == 401
            assert "logged out or replaced by a refresh" in refused.value.message

            second = c.request("auth.login", {"username": "ada", "password": "correct horse battery"}, timeout=T)
            fresh = c.request("auth.refresh", {"token": second["token"]}, timeout=T)
            for token, status in ((second["token"], 401), (fresh["token"], 404)):
                request = urllib.request.Request(s.info["http"] + "/api/settings/nothing",
                                                 headers={"Authorization": "Bearer " + token})
                with pytest.raises(urllib.error.HTTPError) as answered:
                    urllib.request.urlopen(request, timeout=T)
                assert answered.value.code == status
            with qi.hub.connect(s.url, fresh["token"], timeout=T) as again:
                assert again.request("hub.ping", {"n": 2}, timeout=T) == {"n": 2}
    finally:
        s.stop()
