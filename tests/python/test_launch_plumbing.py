"""What a launcher asks the hub before it starts a DCC, through a real
``qi --headless serve``: where the hub is (``server.info``), a token for
the DCC's session below the asker's (``auth.child_token``), and a host's
layer over a launch environment with its command line
(``addons.host.prepare``, with the test addon ``kinds``)."""
import os

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import ADDONS, QiServer, T, wait_until


def test_server_info_names_the_hub(tmp_path):
    s = QiServer(tmp_path)
    try:
        with qi.hub.connect(s.url, s.token, name="test/info", timeout=T) as c:
            info = c.request("server.info", {}, timeout=T)
            assert info["url"] == s.url
            assert info["http"] == s.info["http"]
            assert info["pid"] == s.proc.pid
    finally:
        s.stop()


def test_a_child_token_opens_a_session_below_the_asker(tmp_path):
    s = QiServer(tmp_path)
    try:
        with qi.hub.connect(s.url, s.token, name="tool/launcher", timeout=T) as launcher:
            me = launcher.session
            given = launcher.request("auth.child_token", {"name": "dcc/blender", "lifetime_s": 600}, timeout=T)
            assert given["parent"] == me and given["name"] == "dcc/blender"
            # the DCC names its session; the token puts it below the asker
            with qi.hub.connect(s.url, given["token"], name="dcc/blender/4242", timeout=T) as dcc:
                sessions = {x["id"]: x["parent"] for x in launcher.request("hub.sessions", timeout=T)["sessions"]}
                assert sessions[dcc.session] == me
                # the token opens the hub only, not a user's session
                with pytest.raises(HubError) as refused:
                    dcc.request("auth.child_token", {"name": "user/ada"}, timeout=T)
                assert refused.value.code == "bad_message"
                assert "“user/ada” is not a name for a child session" in refused.value.message
                with pytest.raises(HubError) as long:
                    dcc.request("auth.child_token", {"name": "x", "lifetime_s": 10 ** 8}, timeout=T)
                assert "at most 2592000 (30 days)" in long.value.message
                with pytest.raises(HubError):
                    dcc.request("auth.child_token", {"lifetime_s": 600}, timeout=T)
            # the asker gone, its children's sessions close with it
            with qi.hub.connect(s.url, given["token"], name="dcc/blender/4243", timeout=T) as orphan:
                launcher.close(timeout=1)
                assert wait_until(lambda: not orphan.connected, timeout=15)
    finally:
        s.stop()


@pytest.mark.skipif(not os.path.isdir(os.path.join(ADDONS, "kinds")),
                    reason="the test addons are not built (run through meson test)")
def test_a_host_prepares_a_launch(tmp_path):
    s = QiServer(tmp_path, addon_path=ADDONS)
    try:
        with qi.hub.connect(s.url, s.token, name="tool/launcher", timeout=T) as c:
            base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": "/studio/py", "OCIO": "/studio/ocio.config"}
            plan = c.request("addons.host.prepare",
                             {"host": "kinds-dcc", "environment": base, "app_arguments": ["-safe"],
                              "workfile": "/w/sh010_v001.kscene", "extra": ["--verbose"]}, timeout=T)
            assert plan["name"] == "kinds-dcc"
            # the executable found on the given PATH, then the arguments in order
            assert plan["executable"] == "/bin/sh"
            assert plan["argv"] == ["/bin/sh", "-safe", "/w/sh010_v001.kscene", "--verbose"]
            env = plan["environment"]
            assert env["OCIO"] == "/studio/ocio.config"
            assert env["PYTHONPATH"].endswith(":/studio/py")
            assert env["PYTHONPATH"].split(":")[0].endswith(os.path.join("kinds", "host", "kinds-dcc"))
            assert env["QI_HOST"] == "kinds-dcc" and env["KINDS_DCC_LICENSE"] == "floating"
            assert plan["changes"]["KINDS_DCC_LICENSE"] == "floating"
            # an executable given wins; the host's own code may refuse
            plan = c.request("addons.host.prepare", {"host": "kinds-dcc", "environment": base,
                                                     "executable": "/opt/kinds/kdcc"}, timeout=T)
            assert plan["argv"] == ["/opt/kinds/kdcc"]
            with pytest.raises(HubError) as refused:
                c.request("addons.host.prepare",
                          {"host": "kinds-dcc", "environment": dict(base, KINDS_DCC_NO_LICENSE="1")}, timeout=T)
            assert "kinds-dcc has no licence on this machine" in refused.value.message
            for bad, words in (({"host": "nope"}, "no host “nope”"),
                               ({"host": "kinds-dcc", "environment": {"A": 1}}, "“environment.A” must be a string"),
                               ({"host": "kinds-dcc", "extra": "x"}, "“extra” must be a list of strings"),
                               ({}, "“host” must be a string")):
                with pytest.raises(HubError) as failed:
                    c.request("addons.host.prepare", bad, timeout=T)
                assert words in failed.value.message, failed.value.message
    finally:
        s.stop()
