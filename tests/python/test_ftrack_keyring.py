"""The ftrack login of the web UI's form, through the real server: the
payload {"provider": "ftrack", "server", "api_user", "api_key"} logs in
against a fake ftrack server (the recorded server information), the API
key goes to the desktop keyring (a gnome-keyring on a private D-Bus
session bus started here), and a later qi logs in from it at phase 2
without being given anything."""
import http.server
import json
import os
import shutil
import subprocess
import threading

import pytest

import qi.hub

from test_hub_server import QI_EXE, QiServer, T

API_KEY = "7545384e-a653-11e1-a82c-f22c11dd25eq"
FIXTURES = os.environ.get("QI_FTRACK_FIXTURES")

if not shutil.which("dbus-daemon") or not shutil.which("gnome-keyring-daemon"):
    pytest.skip("no dbus-daemon or gnome-keyring-daemon (tools/deps.sh installs them)", allow_module_level=True)
if not FIXTURES:
    pytest.skip("QI_FTRACK_FIXTURES is not set (meson test sets it)", allow_module_level=True)


class FakeFtrack(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeFtrack.requests.append((self.headers.get("ftrack-user"), self.headers.get("ftrack-api-key"),
                                    json.loads(body)))
        if self.headers.get("ftrack-api-key") != API_KEY:
            answer, status = {"exception": "AuthenticationError", "content": "The API key is not valid."}, 401
        else:
            with open(os.path.join(FIXTURES, "query_server_information.json")) as f:
                info = json.load(f)
            user = {"__entity_type__": "User", "id": "1", "username": self.headers.get("ftrack-user"),
                    "first_name": "Ada", "last_name": "Okafor", "email": None, "is_active": True,
                    "user_security_roles": []}
            answer, status = [info, {"action": "query", "data": [user], "metadata": {"next": {"offset": None}}}], 200
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def ftrack():
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeFtrack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeFtrack.requests = []
    yield "http://127.0.0.1:{}".format(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def keyring(tmp_path, monkeypatch):
    """A private session bus with an unlocked gnome-keyring; its address
    in DBUS_SESSION_BUS_ADDRESS for the qi processes started here."""
    home = tmp_path / "keyring-home"
    for d in ("data", "config", "run"):
        (home / d).mkdir(parents=True, mode=0o700)
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_RUNTIME_DIR=str(home / "run"))
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = bus.stdout.readline().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets"], input="qi-test-keyring",
                   env=env, capture_output=True, text=True, timeout=30, check=True)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    bus.terminate()
    bus.wait(5)


def run_qi(server, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k == "QI_ADDON_DIR"}
    env.update(server.dirs)
    env["QI_TRACKER"] = "tracker-ftrack"
    return subprocess.run([QI_EXE, "--headless", "--log-level", "debug"] + list(args), env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_web_ui_ftrack_login_is_kept_in_the_keyring(tmp_path, ftrack, keyring):
    s = QiServer(tmp_path, extra_env={"QI_TRACKER": "tracker-ftrack"})
    try:
        with qi.hub.connect(s.url, s.token, name="ui/login", timeout=T) as c:
            session = c.request("auth.login", {"provider": "ftrack", "server": ftrack, "api_user": "ada",
                                               "api_key": API_KEY}, timeout=T)
            assert session["provider"] == "ftrack"
            assert session["key_stored"] is True, session.get("key_not_stored")
            assert FakeFtrack.requests[-1][:2] == ("ada", API_KEY)
            # its token opens the hub
            with qi.hub.connect(s.url, session["token"], timeout=T) as user:
                assert user.request("hub.ping", {"n": 1}, timeout=T) == {"n": 1}
    finally:
        s.stop()

    # a later run logs in from the keyring without being told anything
    before = len(FakeFtrack.requests)
    done = run_qi(s, "status")
    assert done.returncode == 0, done.stderr
    assert "2.3: logged in as ada (ftrack)" in done.stderr
    assert len(FakeFtrack.requests) == before + 1
    assert FakeFtrack.requests[-1][:2] == ("ada", API_KEY)

    # never in a plain file
    for root, _, files in os.walk(str(tmp_path)):
        if "keyring-home" in root:
            continue
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                assert API_KEY.encode() not in f.read(), os.path.join(root, name)

    done = run_qi(s, "logout", "--ftrack")
    assert done.stdout == "forgot the stored ftrack API key\n"
    done = run_qi(s, "status")
    assert "2.3: logged in" not in done.stderr
