"""qi.pipeline without a DCC: records, attribute definitions and their
JSON Schema, creators and the create context, loaders' compatibility, and
the inventory's states — the last over a real ``qi --headless serve`` on
the demo tracker, with a host whose scene is a dict (the DCC's part is
Blender's test, test_blender_pipeline.py)."""
import textwrap

import jsonschema
import pytest

import qi.hub
from qi import pipeline
from qi.pipeline import attributes as attrs
from qi.pipeline import records

from test_hub_server import QiServer, T
from test_publish_integrator import make_dirs, qi_run


class SceneHost(pipeline.PipelineHost):
    """A host whose scene is two dicts of records and their members."""
    name = "scene"
    label = "Scene"

    def __init__(self):
        self.instance_records = {}
        self.container_records = {}
        self.selected = []
        self.objects = set()

    def instances(self):
        return [(dict(r), list(m)) for r, m in self.instance_records.values()]

    def write_instance(self, record, members):
        self.instance_records[record["id"]] = (dict(record), list(members))

    def remove_instance(self, instance_id):
        self.instance_records.pop(instance_id, None)

    def containers(self):
        return [(dict(r), list(m)) for r, m in self.container_records.values()]

    def write_container(self, record, members):
        old = self.container_records.get(record["id"], (None, []))[1]
        self.container_records[record["id"]] = (dict(record), list(old if members is None else members))

    def remove_container(self, container_id):
        self.container_records.pop(container_id, None)

    def selection(self):
        return list(self.selected)


PLUGINS = {
    "create/scene_creators.py": '''
        from qi.pipeline import AutoCreator, BoolDef, CreateError, Creator, NumberDef

        class CreateModel(Creator):
            identifier = "scene.model"
            label = "Model"
            product_type = "model"
            hosts = ["scene"]

            def attributes(self):
                return [BoolDef("review", "Review", True), NumberDef("lod", "LOD", 0, minimum=0, maximum=3)]

            def prepare_members(self, members, record):
                if not members:
                    raise CreateError("select something")
                return members

        class CreateWorkfile(AutoCreator):
            identifier = "scene.workfile"
            product_type = "workfile"
            hosts = ["scene"]

        class CreateElsewhere(Creator):
            identifier = "maya.model"
            product_type = "model"
            hosts = ["maya"]
    ''',
    "load/scene_loaders.py": '''
        from qi.pipeline import LoaderPlugin

        class Reference(LoaderPlugin):
            product_types = ["model", "rig"]
            representations = ["ma"]
            extensions = ["ma"]
            order = 0

            def load(self, context, name, namespace, options):
                self.host.objects.add(namespace + ":root")
                return [namespace + ":root"]

            def update(self, container, context):
                return [container["namespace"] + ":root"]

            def remove(self, container):
                self.host.objects.discard(container["namespace"] + ":root")

        class ImportAny(LoaderPlugin):
            order = 0

            def load(self, context, name, namespace, options):
                return [namespace + ":imported"]

            def update(self, container, context):
                return [container["namespace"] + ":imported"]

            def remove(self, container):
                pass

        class ImportExr(LoaderPlugin):
            product_types = ["render"]
            representations = ["exr"]
            extensions = ["exr"]
            order = -1
    ''',
}


@pytest.fixture
def folders(tmp_path):
    found = {}
    for relative, text in PLUGINS.items():
        path = tmp_path / "plugins" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        found.setdefault(relative.split("/")[0], []).append(str(path.parent))
    broken = tmp_path / "plugins" / "create" / "broken.py"
    broken.write_text("raise ImportError('a studio plugin that fails')\n")
    return found


def test_records_are_checked_naming_the_field():
    record = records.instance("c", "model", "modelMain", "Main", "/a", None)
    assert records.check(record, records.INSTANCE_SCHEMA) is record
    with pytest.raises(records.RecordError, match="lacks “variant”"):
        records.check({k: v for k, v in record.items() if k != "variant"}, records.INSTANCE_SCHEMA, "x")
    with pytest.raises(records.RecordError, match="is not a qi:container-1.0 record"):
        records.check(record, records.CONTAINER_SCHEMA)
    with pytest.raises(records.RecordError, match="“active” is 'yes', not bool"):
        records.check(dict(record, active="yes"), records.INSTANCE_SCHEMA)


def test_attribute_definitions_make_a_json_schema_that_checks_values():
    definitions = [attrs.BoolDef("review", "Review", True), attrs.NumberDef("lod", "LOD", 0, minimum=0, maximum=3),
                   attrs.NumberDef("scale", "Scale", 1.0, decimals=2), attrs.TextDef("note", multiline=True),
                   attrs.EnumDef("format", ["abc", ("usd", "USD")]), attrs.FileDef("ref", extensions=[".png"]),
                   attrs.HiddenDef("token", "x"), attrs.LabelDef("Options"), attrs.SeparatorDef()]
    schema = attrs.to_schema(definitions, "Model")
    jsonschema.Draft202012Validator.check_schema(schema)
    values = attrs.defaults(definitions)
    assert values == {"review": True, "lod": 0, "scale": 1.0, "note": "", "format": "abc", "ref": "", "token": "x"}
    jsonschema.validate(values, schema)
    assert schema["properties"]["format"]["x-qi-labels"] == ["abc", "USD"]
    assert schema["x-qi-order"][-2:] == ["label:Options", "separator"]
    assert attrs.apply(definitions, {"lod": 2})["lod"] == 2
    for bad, message in (({"lod": 4}, "“lod” is from 0 to 3"), ({"review": 1}, "“review” is true or false"),
                         ({"format": "fbx"}, "one of abc, usd"), ({"ref": "a.jpg"}, "ending in .png"),
                         ({"colour": 1}, "there is no attribute “colour”")):
        with pytest.raises(attrs.AttributeError_, match=message):
            attrs.apply(definitions, bad)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(values, lod=4), schema)


def test_creators_and_the_create_context(folders):
    host = SceneHost()
    context = pipeline.CreateContext(host, folders["create"], "demo", "/assets/prp_sword", "model")
    assert sorted(context.creators) == ["scene.model", "scene.workfile"]  # not Maya's
    assert list(context.errors) == [folders["create"][0] + "/broken.py"]
    assert pipeline.product_name("{productType}{Variant}", "model", "proxy") == "modelProxy"
    assert pipeline.product_name("{task}_{variant}", "model", "hi", "model") == "model_hi"
    # the auto creator's instance is there from the start
    assert [i["creator"] for i in context.reset()] == ["scene.workfile"]
    host.selected = ["sword_geo"]
    made = context.create("scene.model", "Main", attributes={"lod": 1})
    assert made.members == ["sword_geo"] and made["product_name"] == "modelMain"
    assert made["creator_attributes"] == {"review": True, "lod": 1}
    with pytest.raises(pipeline.CreateError, match="select something"):
        host.selected = []
        context.create("scene.model", "Other")
    with pytest.raises(pipeline.CreateError, match="makes its instances itself"):
        context.create("scene.workfile", "Main")
    # a new context reads them back from the scene
    again = pipeline.CreateContext(host, folders["create"], "demo", "/assets/prp_sword", "model")
    assert {i["product_name"] for i in again.reset()} == {"modelMain", "workfileMain"}
    again.update(made.id, {"variant": "Hero", "creator_attributes": {"lod": 3}})
    assert again.save_changes() == 1
    assert host.instance_records[made.id][0]["product_name"] == "modelHero"
    with pytest.raises(pipeline.CreateError, match="cannot change"):
        again.update(made.id, {"product_type": "rig"})
    products = again.products()
    model = [p for p in products if p["productType"] == "model"][0]
    assert model["productName"] == "modelHero" and model["members"] == ["sword_geo"] and model["project"] == "demo"
    again.update(made.id, {"active": False})
    assert [p["productType"] for p in again.products()] == ["workfile"]
    again.remove([made.id])
    assert made.id not in host.instance_records


def rep(name, ext):
    return {"id": "1", "name": name, "metadata": {"ext": ext}, "files": [{"path": "a." + ext, "size": 1}]}


def test_loaders_compatible_with_a_representation_best_first(folders):
    classes, errors = pipeline.load.find_loaders(folders["load"], "scene")
    by_name = {c.name(): c for c in classes}
    assert errors == {}
    fitting = pipeline.compatible_loaders(classes, "model", rep("ma", "ma"))
    # same order: the one naming what it loads comes before the one taking *
    assert [c.name() for c in fitting] == ["Reference", "ImportAny"]
    assert [c.name() for c in pipeline.compatible_loaders(classes, "render", rep("exr", "exr"))] == [
        "ImportExr", "ImportAny"]
    assert not pipeline.is_compatible(by_name["Reference"], "camera", rep("ma", "ma"))
    assert not pipeline.is_compatible(by_name["Reference"], "model", rep("ma", "mb"))
    assert pipeline.resolve({"name": "ma", "metadata": {"root": "publish"}, "files": [{"path": "p/a.ma"}]},
                            {"publish": "/mnt/pub"}) == ["/mnt/pub/p/a.ma"]
    with pytest.raises(pipeline.LoadError, match="no root on this platform"):
        pipeline.resolve({"name": "ma", "metadata": {"root": "nas"}, "files": []}, {"publish": "/p"})


@pytest.fixture
def tracker(tmp_path):
    dirs = make_dirs(tmp_path)
    assert qi_run(dirs, "db", "seed-demo").returncode == 0
    server = QiServer(tmp_path)
    server.dirs = dirs
    client = qi.hub.connect(server.url, server.token, name="test/inventory", timeout=T)
    yield server, client, tmp_path
    client.close()
    server.stop()


def publish_ma(tmp_path, client, number_hint):
    source = tmp_path / ("sword_%d.ma" % number_hint)
    source.write_text("// maya ascii %d\n" % number_hint)
    report = client.request("publish.integrate", {
        "project": "demo", "context": "/assets/prp_sword", "product_type": "model", "product_name": "modelMain",
        "representations": [{"name": "ma", "ext": "ma", "files": [str(source)]}]}, timeout=60)
    return report["version"]


def test_the_inventory_states_in_one_request(tracker, folders):
    server, client, tmp_path = tracker
    host = SceneHost()
    classes, _ = pipeline.load.find_loaders(folders["load"], "scene")
    asked = []

    class CountingHub(object):
        def request(self, topic, payload=None, timeout=30):
            asked.append(topic)
            return client.request(topic, payload, timeout=timeout)

    inventory = pipeline.Inventory(host, CountingHub(), classes, "demo")
    v1 = publish_ma(tmp_path, client, 1)
    first = inventory.load(v1["id"], "ma")
    assert first["loader"] == "Reference" and first["namespace"] == "modelMain_01"
    assert host.objects == {"modelMain_01:root"}
    second = inventory.load(v1["id"], "ma", loader="ImportAny")
    third = inventory.load(v1["id"], "ma")
    inventory.lock(third["id"])
    gone = dict(records.container("ghost", "ghost_01", "Reference", {"id": "0", "name": "ma"},
                                  {"id": "999999", "number": 1}, {"id": "1", "name": "ghost", "type": "model"}, "demo"))
    host.write_container(gone, [])
    v2 = publish_ma(tmp_path, client, 2)
    del asked[:]
    rows = {row["container"]["id"]: row for row in inventory.list()}
    assert asked == ["db_service.version.inventory"]  # one request for the whole scene
    assert rows[first["id"]]["state"] == pipeline.OUTDATED and rows[first["id"]]["latest"] == 2
    assert rows[second["id"]]["state"] == pipeline.OUTDATED
    assert rows[third["id"]]["state"] == pipeline.LOCKED
    assert rows[gone["id"]]["state"] == pipeline.NOT_FOUND

    updated = inventory.update(first["id"])
    assert updated["version_number"] == 2 and updated["version"] == str(v2["id"])
    assert inventory.update(first["id"], "-1")["version_number"] == 1
    assert inventory.update(first["id"], 2)["version_number"] == 2
    with pytest.raises(pipeline.InventoryError, match="no later version"):
        inventory.update(first["id"], "+1")
    with pytest.raises(pipeline.InventoryError, match="has no published version 7"):
        inventory.update(first["id"], 7)
    with pytest.raises(pipeline.InventoryError, match="is locked"):
        inventory.update(third["id"])
    states = {row["container"]["id"]: row["state"] for row in inventory.list()}
    assert states[first["id"]] == pipeline.LATEST

    # a version published elsewhere: the rows of its product change
    v3 = publish_ma(tmp_path, client, 3)
    changed = inventory.on_version_changed({"action": "published", "version": v3})
    assert {row["container"]["id"] for row in changed} >= {first["id"], second["id"]}
    assert inventory.rows[first["id"]]["state"] == pipeline.OUTDATED
    assert inventory.on_version_changed({"action": "published", "version": dict(v3, product="0")}) == []

    # switched to another product: its latest version, through the same loader
    other = tmp_path / "proxy.ma"
    other.write_text("// the proxy\n")
    proxy = client.request("publish.integrate", {
        "project": "demo", "context": "/assets/prp_sword", "product_type": "model", "product_name": "modelProxy",
        "representations": [{"name": "ma", "ext": "ma", "files": [str(other)]}]}, timeout=60)["version"]
    switched = inventory.switch(second["id"], product=proxy["product"])
    assert (switched["product_name"], switched["version"], switched["loader"]) == ("modelProxy", str(proxy["id"]),
                                                                                    "ImportAny")
    assert switched["namespace"] == second["namespace"] and switched["id"] == second["id"]

    inventory.remove(first["id"])
    assert host.objects == {"modelMain_03:root"} and first["id"] not in host.container_records
    with pytest.raises(pipeline.LoadError, match="has no representation “abc”"):
        inventory.load(v1["id"], "abc")
    with pytest.raises(pipeline.LoadError, match="does not load the representation"):
        inventory.load(v1["id"], "ma", loader="ImportExr")


PUBLISH_PLUGIN = '''
import pyblish.api

from qi.pipeline import NumberDef, publish_values


class ValidateLod(pyblish.api.InstancePlugin):
    order = pyblish.api.ValidatorOrder
    families = ["model"]
    optional = True
    label = "LOD"

    @classmethod
    def get_attribute_defs(cls):
        return [NumberDef("lods", "LODs", 3, minimum=1, maximum=5)]

    def process(self, instance):
        instance.data["seen"] = publish_values(type(self), instance)


class ExtractRender(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    families = ["render"]

    @classmethod
    def get_attribute_defs(cls):
        return [NumberDef("frames", "Frames", 1)]
'''


def test_publish_plugins_add_their_attributes_per_instance(folders, tmp_path, clean_publish):
    clean_publish.install_fallback()
    plugins = tmp_path / "publish"
    plugins.mkdir()
    (plugins / "plugins.py").write_text(PUBLISH_PLUGIN)
    clean_publish.register_plugin_path(str(plugins))
    host = SceneHost()
    context = pipeline.CreateContext(host, folders["create"], "demo", "/a", "model")
    context.reset()
    host.selected = ["geo"]
    made = context.create("scene.model", "Main")
    schemas = context.publish_schemas(made)
    # a model's: the optional LOD check; not the render extractor's
    assert list(schemas) == ["ValidateLod"]
    assert schemas["ValidateLod"]["properties"]["active"]["default"] is True
    assert schemas["ValidateLod"]["properties"]["lods"]["maximum"] == 5
    context.update(made.id, {"publish_attributes": {"ValidateLod": {"lods": 2}}})
    assert made["publish_attributes"] == {"ValidateLod": {"active": True, "lods": 2}}
    with pytest.raises(pipeline.CreateError, match="no publish plugin “ExtractRender” has attributes for a model"):
        context.update(made.id, {"publish_attributes": {"ExtractRender": {"frames": 2}}})
    with pytest.raises(attrs.AttributeError_, match="“lods” is from 1 to 5"):
        context.update(made.id, {"publish_attributes": {"ValidateLod": {"lods": 9}}})
    # the plugin reads them from the instance the create context gave
    [product] = [p for p in context.products() if p["productType"] == "model"]
    import pyblish.api
    instance = pyblish.api.Context().create_instance("x", **product)
    [cls] = [p for p in pyblish.api.discover() if p.__name__ == "ValidateLod"]
    assert pipeline.publish_values(cls, instance) == {"active": True, "lods": 2}


def test_the_qi_menu_opens_the_windows_bound_to_the_session(tracker, clean_publish):
    from qi.pipeline.session import PipelineSession

    server, client, tmp_path = tracker
    host = SceneHost()
    warnings = []
    host.warn = warnings.append
    session = PipelineSession(host, environ={"QI_SERVER_URL": server.url, "QI_SESSION_TOKEN": server.token,
                                             "QI_PROJECT": "demo", "QI_CONTEXT": "/sq010/sh010", "QI_TASK": "comp"})
    assert session.connect()
    try:
        assert session.pipeline is not None and session.ready.is_set()
        labels = [item.label for item in session.menu()]
        assert labels[:3] == ["Publish…", "Load…", "Manage…"] and labels[-2:] == ["Save", "Version up"]
        # no desktop shell: one warning line saying so
        session.menu()[2].action().exception(timeout=10)
        assert warnings == ["Qi: cannot open the inventory window: the desktop shell is not running "
                            "(start qi without --headless)"]
        # a shell: the window is the pipeline-ui page bound to this session
        opened = []
        client.register("gui.window.open", lambda payload, message: opened.append(payload) or {"id": payload["id"]})
        assert session.menu()[1].action().result(timeout=10)["id"] == "loader-" + session.session.replace("/", "-")
        assert opened == [{"id": "loader-" + session.session.replace("/", "-"), "addon": "pipeline-ui",
                           "params": {"dcc": session.session}, "route": "/loader", "width": 1100, "height": 680,
                           "title": "Load — Scene"}]
    finally:
        session.close()


def test_a_host_without_placeholders_says_so_when_it_builds(tracker, clean_publish):
    """A build in a host that keeps no placeholders (only Blender's do so
    far) says it built nothing, rather than a report with nothing wrong."""
    from qi.pipeline.session import PipelineSession

    server, client, tmp_path = tracker
    session = PipelineSession(SceneHost(), environ={"QI_SERVER_URL": server.url, "QI_SESSION_TOKEN": server.token,
                                                    "QI_PROJECT": "demo", "QI_CONTEXT": "/sq010/sh010",
                                                    "QI_TASK": "comp"})
    assert session.connect()
    try:
        report = session.build({"update": True})
        assert report["built"] == [] and report["failed"] == []
        assert report["warnings"] == ["Scene keeps no placeholders: there is nothing to update"]
    finally:
        session.close()


def test_a_hub_that_goes_away_while_the_pipeline_starts_ends_the_session(tracker, clean_publish, monkeypatch):
    """The hub stopping between the session's opening and the pipeline's
    subscription (a DCC launched as the desktop quits) ends the session
    as any other end does: connect() does not raise, and the session is
    finished."""
    from qi.pipeline import install
    from qi.pipeline.session import PipelineSession

    server, client, tmp_path = tracker
    installed = install.install_host

    def install_then_stop(*args, **kwargs):
        pipe = installed(*args, **kwargs)
        server.stop()
        return pipe

    monkeypatch.setattr(install, "install_host", install_then_stop)
    session = PipelineSession(SceneHost(), environ={"QI_SERVER_URL": server.url, "QI_SESSION_TOKEN": server.token,
                                                    "QI_PROJECT": "demo", "QI_CONTEXT": "/sq010/sh010",
                                                    "QI_TASK": "comp"})
    try:
        assert session.connect()
        assert session.finished.wait(T)
    finally:
        session.close()


def test_the_tray_opens_the_standalone_publisher(tracker):
    server, client, tmp_path = tracker
    items = {i["id"]: i for i in client.request("addons.tray_items", {}, timeout=T)["items"]}
    assert items["publisher/standalone"]["label"] == "Publish files…"
    with pytest.raises(qi.hub.HubError, match="publisher.open: .*gui.window.open"):
        client.request("addons.tray.activate", {"id": "publisher/standalone"}, timeout=T)
    opened = []
    client.register("gui.window.open", lambda payload, message: opened.append(payload) or {"id": payload["id"]})
    assert client.request("addons.tray.activate", {"id": "publisher/standalone"}, timeout=T) == {
        "window": "standalone-publisher"}
    assert opened[0]["addon"] == "pipeline-ui" and opened[0]["route"] == "/standalone"
