"""Qi's publish engine (python/qi/publish) against pyblish's documented
behaviour: ordering, families, hosts and targets, optional and inactive
plugins and instances, dependency injection, where a publish stops, the
results, callbacks, actions, discovery, and a publish in parts."""
import ast
import logging
import os
import textwrap

import pytest

import qi.publish as api
from qi.publish import actions, logic, matching

pytestmark = pytest.mark.usefixtures("clean_publish")

PYTHON_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")


def plugin(name, order=0, process=None, base=api.ContextPlugin, **attrs):
    """A plugin class ``name`` of ``order``; ``process`` replaces its
    process method."""
    if process is not None:
        attrs["process"] = process
    return type(name, (base,), dict(attrs, order=order))


def recording(name, ran, order=0, base=api.ContextPlugin, **attrs):
    """A plugin that appends (its name, the instance's name or None) to
    ``ran`` when it runs."""
    if base is api.InstancePlugin:
        def process(self, instance):
            ran.append((name, instance.name))
    else:
        def process(self, context):
            ran.append((name, None))
    return plugin(name, order, process, base, **attrs)


def failing(name, order, base=api.ContextPlugin):
    def process(self, context):
        raise RuntimeError("{} failed".format(name))
    return plugin(name, order, process, base)


def names(results):
    return [result["plugin"].__name__ for result in results]


# Ordering

def test_plugins_run_by_order_fractional_orders_between_ties_as_given():
    ran = []
    plugins = [
        recording("Integrate", ran, api.IntegratorOrder),
        recording("ValidateLate", ran, api.ValidatorOrder + 0.2),
        recording("TieB", ran, api.ValidatorOrder),
        recording("TieA", ran, api.ValidatorOrder),
        recording("Extract", ran, api.ExtractorOrder),
        recording("CollectAfter", ran, api.CollectorOrder + 0.1),
        recording("Collect", ran, api.CollectorOrder),
        recording("CollectFirst", ran, api.CollectorOrder - 0.5),
    ]
    api.publish(plugins=plugins)
    assert [name for name, _ in ran] == [
        "CollectFirst", "Collect", "CollectAfter", "TieB", "TieA", "ValidateLate", "Extract", "Integrate"]
    assert (api.CollectorOrder, api.ValidatorOrder, api.ExtractorOrder, api.IntegratorOrder) == (0, 1, 2, 3)
    assert [api.Collector.order, api.Validator.order, api.Extractor.order, api.Integrator.order] == [0, 1, 2, 3]


def test_sort_is_stable_and_in_place():
    a, b, c = plugin("A", 1), plugin("B", 0.5), plugin("C", 1)
    plugins = [a, b, c]
    assert api.sort(plugins) is plugins
    assert plugins == [b, a, c]


def test_the_iterator_yields_plugin_instance_pairs_in_order():
    class Collect(api.ContextPlugin):
        def process(self, context):
            context.create_instance("b", family="model")

    class PerInstance(api.InstancePlugin):
        order = api.ValidatorOrder

    context = api.Context()
    context.create_instance("a", family="model")
    pairs = []
    for each_plugin, instance in logic.Iterator([PerInstance, Collect], context):
        pairs.append((each_plugin.__name__, None if instance is None else instance.name))
        if each_plugin is Collect:
            api.process(each_plugin, context, instance)
    # Instances are looked at when the iterator reaches the plugin, so "b",
    # made by the collector, is there for the validator.
    assert pairs == [("Collect", None), ("PerInstance", "a"), ("PerInstance", "b")]


# Families

@pytest.mark.parametrize("plugin_families, match, instance_families, expected", [
    (["model", "rig"], api.Intersection, ["rig"], True),
    (["model", "rig"], api.Intersection, ["camera"], False),
    (["model", "low"], api.Subset, ["model", "low", "review"], True),
    (["model", "low"], api.Subset, ["model"], False),
    (["model", "low"], api.Exact, ["low", "model"], True),
    (["model", "low"], api.Exact, ["model", "low", "review"], False),
    (["*"], api.Intersection, [], True),
    (["*"], api.Subset, ["anything"], True),
    (["*"], api.Exact, ["anything", "else"], True),
    (["model"], api.Intersection, [], False),
])
def test_family_matching(plugin_families, match, instance_families, expected):
    ran = []
    each = recording("P", ran, base=api.InstancePlugin, families=plugin_families, match=match)
    context = api.Context()
    instance = context.create_instance("thing")
    if instance_families:
        instance.data["family"] = instance_families[0]
        instance.data["families"] = instance_families[1:]
    api.publish(context, plugins=[each])
    assert (ran == [("P", "thing")]) is expected
    assert (api.plugins_by_instance([each], instance) == [each]) is expected
    assert (api.instances_by_plugin(context, each) == [instance]) is expected


def test_instance_families_are_family_then_families():
    context = api.Context()
    instance = context.create_instance("chair", family="model", families=["review", "model", "usd"])
    assert matching.instance_families(instance) == ["model", "review", "usd"]
    assert matching.instance_families(context.create_instance("bare")) == []
    only_families = context.create_instance("door", families=["prop"])
    assert matching.instance_families(only_families) == ["prop"]


def test_plugins_by_family_and_by_host():
    model = plugin("Model", families=["model"], hosts=["maya"])
    anything = plugin("Anything")
    assert api.plugins_by_family([model, anything], "model") == [model, anything]
    assert api.plugins_by_family([model, anything], "rig") == [anything]
    assert api.plugins_by_host([model, anything], "maya") == [model, anything]
    assert api.plugins_by_host([model, anything], "blender") == [anything]


def test_an_unknown_match_kind_is_an_error():
    with pytest.raises(ValueError, match="Intersection, Subset or Exact"):
        matching.families_match(plugin("Odd", families=["a"], match=99), ["a"])


# Hosts and targets

def test_hosts_filter_discovery_and_explicit_plugins():
    ran = []
    maya = recording("MayaOnly", ran, hosts=["maya"])
    python = recording("PythonOnly", ran, hosts=["python"])
    anywhere = recording("Anywhere", ran)
    for each in (maya, python, anywhere):
        api.register_plugin(each)
    assert api.registered_hosts() == ["python"]
    assert api.discover() == [python, anywhere]
    api.publish(plugins=[maya, python, anywhere])
    assert ran == [("PythonOnly", None), ("Anywhere", None)]

    api.register_host("maya")
    assert set(api.discover()) == {maya, python, anywhere}
    api.deregister_host("maya")
    api.deregister_host("python")
    assert api.discover() == [anywhere]
    with pytest.raises(ValueError):
        api.deregister_host("maya")


def test_targets_default_registered_and_given():
    ran = []
    default = recording("Default", ran)
    farm = recording("Farm", ran, targets=["farm"])
    studio = recording("Studio", ran, targets=["studio", "farm"])
    every = recording("Every", ran, targets=["*"])
    for each in (default, farm, studio, every):
        api.register_plugin(each)

    api.publish()
    assert [name for name, _ in ran] == ["Default", "Every"]

    del ran[:]
    api.publish(targets=["farm"])
    assert [name for name, _ in ran] == ["Default", "Farm", "Studio", "Every"]
    assert api.registered_targets() == []

    del ran[:]
    api.register_target("studio")
    api.publish()
    assert [name for name, _ in ran] == ["Default", "Studio", "Every"]
    api.deregister_target("studio")
    with pytest.raises(ValueError):
        api.deregister_target("studio")


# Optional and inactive

def test_inactive_plugins_and_instances_are_skipped():
    ran = []

    class Collect(api.ContextPlugin):
        def process(self, context):
            context.create_instance("kept", family="model")
            context.create_instance("unpublished", family="model", publish=False)
            context.create_instance("inactive", family="model", active=False)

    validate = recording("Validate", ran, api.ValidatorOrder, base=api.InstancePlugin)
    off = recording("Off", ran, api.ValidatorOrder, active=False)
    context = api.publish(plugins=[Collect, validate, off])
    assert ran == [("Validate", "kept")]
    assert names(context.data["results"]) == ["Collect", "Validate"]


def test_toggling_an_optional_plugin():
    ran = []
    toggled = []
    api.register_callback("pluginToggled", lambda **kwargs: toggled.append(kwargs))
    optional = recording("Optional", ran, optional=True)
    required = recording("Required", ran)

    api.toggle_plugin(optional, False)
    api.toggle_plugin(optional, False)
    api.publish(plugins=[optional, required])
    assert ran == [("Required", None)]
    assert toggled == [{"plugin": optional, "new_value": False, "old_value": True}]

    api.toggle_plugin(optional, True)
    del ran[:]
    api.publish(plugins=[optional, required])
    assert ran == [("Optional", None), ("Required", None)]
    with pytest.raises(ValueError, match="not optional"):
        api.toggle_plugin(required, False)
    assert required.active is True


def test_toggling_an_instance_emits_instance_toggled():
    toggled = []
    api.register_callback("instanceToggled", lambda **kwargs: toggled.append(kwargs))
    context = api.Context()
    instance = context.create_instance("chair", active=True)
    api.toggle_instance(instance, False)
    assert instance.data["publish"] is False and instance.data["active"] is False
    assert not api.is_active(instance)
    api.toggle_instance(instance, False)
    api.toggle_instance(instance, True)
    assert api.is_active(instance)
    assert toggled == [
        {"instance": instance, "new_value": False, "old_value": True},
        {"instance": instance, "new_value": True, "old_value": False},
    ]


# Dependency injection

def test_process_gets_what_it_asks_for_by_name():
    seen = []

    class Collect(api.ContextPlugin):
        def process(self, context):
            context.create_instance("a", family="model")
            context.create_instance("b", family="model")
            seen.append(("Collect", type(context).__name__))

    class Both(api.InstancePlugin):
        order = 1

        def process(self, context, instance):
            seen.append(("Both", instance.name, instance.context is context))

    class NothingAsked(api.ContextPlugin):
        order = 1.1

        def process(self):
            seen.append(("NothingAsked",))

    class OnlyContext(api.InstancePlugin):
        """An InstancePlugin whose process takes the context runs once."""
        order = 1.2

        def process(self, context):
            seen.append(("OnlyContext", len(context)))

    class OnlyInstance(api.ContextPlugin):
        """A ContextPlugin whose process takes an instance runs per instance."""
        order = 1.3

        def process(self, instance):
            seen.append(("OnlyInstance", instance.name))

    api.publish(plugins=[Collect, Both, NothingAsked, OnlyContext, OnlyInstance])
    assert seen == [
        ("Collect", "Context"),
        ("Both", "a", True), ("Both", "b", True),
        ("NothingAsked",),
        ("OnlyContext", 2),
        ("OnlyInstance", "a"), ("OnlyInstance", "b"),
    ]


def test_an_instance_plugin_with_no_instance_to_process_does_not_run():
    ran = []
    context = api.publish(plugins=[recording("Lonely", ran, base=api.InstancePlugin, families=["model"])])
    assert ran == [] and context.data["results"] == []


def test_a_parameter_the_engine_cannot_give_is_the_plugins_error():
    class Greedy(api.ContextPlugin):
        def process(self, context, scene):
            pass

    result, = api.publish(plugins=[Greedy]).data["results"]
    assert isinstance(result["error"], TypeError)
    assert "scene" in str(result["error"])


# Where a publish stops

def test_a_failing_validator_stops_extraction_and_integration():
    ran = []
    plugins = [
        recording("Collect", ran, api.CollectorOrder),
        failing("Validate", api.ValidatorOrder),
        recording("ValidateToo", ran, api.ValidatorOrder + 0.1),
        recording("Extract", ran, api.ExtractorOrder),
        recording("Integrate", ran, api.IntegratorOrder),
    ]
    context = api.publish(plugins=plugins)
    assert ran == [("Collect", None), ("ValidateToo", None)]
    assert names(context.data["results"]) == ["Collect", "Validate", "ValidateToo"]


def test_a_failing_collector_or_extractor_stops_nothing():
    ran = []
    plugins = [
        failing("Collect", api.CollectorOrder),
        failing("CollectLate", api.CollectorOrder + 0.49),
        recording("Validate", ran, api.ValidatorOrder),
        failing("Extract", api.ExtractorOrder),
        recording("ExtractToo", ran, api.ExtractorOrder + 0.1),
        recording("Integrate", ran, api.IntegratorOrder),
    ]
    context = api.publish(plugins=plugins)
    assert ran == [("Validate", None), ("ExtractToo", None), ("Integrate", None)]
    assert [r["success"] for r in context.data["results"]] == [False, False, True, False, True, True]


@pytest.mark.parametrize("failing_order, stops", [
    (api.ValidatorOrder - 0.5, True),
    (api.ValidatorOrder - 0.5001, False),
    (api.ValidatorOrder + 0.4999, True),
    (api.ValidatorOrder + 0.5, False),
])
def test_validation_is_from_validator_order_minus_to_plus_one_half(failing_order, stops):
    ran = []
    plugins = [
        failing("Failing", failing_order),
        recording("StillValidating", ran, api.ValidatorOrder + 0.49999),
        recording("PastValidation", ran, api.ValidatorOrder + 0.5),
        recording("Integrate", ran, api.IntegratorOrder),
    ]
    api.publish(plugins=plugins)
    assert [name for name, _ in ran] == ["StillValidating"] + ([] if stops else ["PastValidation", "Integrate"])


def test_the_default_test_and_a_registered_one():
    assert logic.default_test(nextOrder=1.5, ordersWithError=[1.2]) == "failed validation"
    assert logic.default_test(nextOrder=1.49, ordersWithError=[1.2]) is None
    assert logic.default_test(nextOrder=3, ordersWithError=[0.2, 2]) is None

    ran = []
    api.register_test(lambda **vars: "stopped after a collector" if vars["ordersWithError"] else None)
    assert api.registered_test() is not logic.default_test
    api.publish(plugins=[failing("Collect", 0), recording("Validate", ran, 1)])
    assert ran == []
    api.deregister_test()
    api.publish(plugins=[failing("Collect", 0), recording("Validate", ran, 1)])
    assert ran == [("Validate", None)]


def test_stopping_is_logged(caplog):
    caplog.set_level(logging.WARNING, logger="qi.publish")
    api.publish(plugins=[failing("Validate", 1), plugin("Extract", 2)])
    assert "Stopped due to: failed validation" in caplog.text


# Results

def test_results_hold_success_records_error_traceback_and_duration(caplog):
    caplog.set_level(logging.WARNING)

    class Collect(api.ContextPlugin):
        def process(self, context):
            self.log.debug("looking")
            self.log.info("found %d", 1)
            context.create_instance("chair", family="model")

    class ValidateChair(api.InstancePlugin):
        order = api.ValidatorOrder

        def process(self, instance):
            self.log.warning("checking %s", instance)
            raise ValueError("chair is not a table")

    context = api.publish(plugins=[Collect, ValidateChair])
    collected, validated = context.data["results"]
    assert set(collected) == {"success", "plugin", "instance", "action", "error", "records", "duration"}
    assert (collected["success"], collected["plugin"], collected["instance"], collected["action"],
            collected["error"]) == (True, Collect, None, None, None)
    assert [(r.levelname, r.getMessage()) for r in collected["records"]] == [("DEBUG", "looking"), ("INFO", "found 1")]
    assert isinstance(collected["duration"], float) and collected["duration"] >= 0

    assert validated["success"] is False and validated["instance"] is context[0]
    error = validated["error"]
    assert isinstance(error, ValueError)
    assert error.formatted_traceback.startswith("Traceback (most recent call last):")
    assert "in process" in error.formatted_traceback
    assert error.formatted_traceback.rstrip().endswith("ValueError: chair is not a table")
    assert "step.py" not in error.formatted_traceback
    filename, line, function, source = error.traceback
    assert (os.path.basename(filename), function) == ("test_publish_engine.py", "process")
    assert source == 'raise ValueError("chair is not a table")'
    assert [r.getMessage() for r in validated["records"]] == ["checking chair"]

    # What reached the logging handlers is what would have without the
    # engine: the warning, not the debug and info records it kept.
    plugin_messages = [r.getMessage() for r in caplog.records if r.name.startswith("pyblish.plugin.")]
    assert plugin_messages == ["checking chair"]


def test_each_plugin_has_a_logger_of_its_own_left_as_it_was_after_a_step():
    a, b = plugin("A"), plugin("B")
    assert isinstance(a.log, logging.Logger) and a.log is not b.log
    assert a().log is a.log and a.log.name.startswith("pyblish.plugin.")

    class Configured(api.ContextPlugin):
        def process(self, context):
            self.log.info("kept")
            self.log.warning("shown")

    # A handler of its own that takes anything, on a logger that lets
    # warnings through: the step keeps the info record, the handler still
    # gets only the warning.
    shown = []
    handler = logging.Handler()
    handler.emit = lambda record: shown.append(record.getMessage())
    Configured.log.addHandler(handler)
    Configured.log.setLevel(logging.WARNING)
    Configured.log.propagate = False
    try:
        result, = api.publish(plugins=[Configured]).data["results"]
        assert [r.getMessage() for r in result["records"]] == ["kept", "shown"]
        assert shown == ["shown"]
        assert (Configured.log.handlers, Configured.log.level, Configured.log.propagate) == (
            [handler], logging.WARNING, False)
    finally:
        Configured.log.removeHandler(handler)


def test_publish_iter_yields_each_result_as_it_comes():
    context = api.Context()
    steps = api.publish_iter(context, plugins=[plugin("A", 0), plugin("B", 1)])
    first = next(steps)
    assert first["plugin"].__name__ == "A" and context.data["results"] == [first]
    assert [r["plugin"].__name__ for r in steps] == ["B"]
    assert len(context.data["results"]) == 2


# Callbacks

def test_callbacks_in_order_with_their_payload():
    events = []
    for signal in ("pluginProcessed", "pluginFailed", "validated", "published"):
        api.register_callback(signal, lambda signal=signal, **kwargs: events.append((signal, kwargs)))

    class Collect(api.ContextPlugin):
        def process(self, context):
            context.create_instance("chair", family="model")

    class Validate(api.InstancePlugin):
        order = api.ValidatorOrder

        def process(self, instance):
            raise ValueError("no")

    context = api.publish(plugins=[Collect, Validate, plugin("Extract", api.ExtractorOrder)])
    collected, validated = context.data["results"]
    chair = context[0]
    assert [signal for signal, _ in events] == [
        "pluginProcessed", "pluginProcessed", "pluginFailed", "validated", "published"]
    assert events[0][1] == {"result": collected}
    assert events[1][1] == {"result": validated}
    assert events[2][1] == {"plugin": Validate, "context": context, "instance": chair, "error": validated["error"]}
    assert events[3][1] == {"context": context}
    assert events[4][1] == {"context": context}


def test_validated_comes_once_before_the_first_extractor():
    events = []
    api.register_callback("validated", lambda context: events.append("validated"))
    api.register_callback("pluginProcessed", lambda result: events.append(result["plugin"].__name__))
    api.publish(plugins=[plugin("Collect", 0), plugin("Validate", 1), plugin("Extract", 2), plugin("Integrate", 3)])
    assert events == ["Collect", "Validate", "validated", "Extract", "Integrate"]

    del events[:]
    api.collect(plugins=[plugin("Collect", 0)])
    assert events == ["Collect"]


def test_a_raising_callback_is_logged_and_breaks_nothing(caplog):
    calls = []

    def broken(result):
        raise RuntimeError("callback bug")

    api.register_callback("pluginProcessed", broken)
    api.register_callback("pluginProcessed", lambda result: calls.append(result["plugin"].__name__))
    context = api.publish(plugins=[plugin("A", 0), plugin("B", 2)])
    assert calls == ["A", "B"]
    assert [r["success"] for r in context.data["results"]] == [True, True]
    assert caplog.text.count("RuntimeError: callback bug") == 2


def test_registering_and_deregistering_callbacks():
    def one(**kwargs):
        pass

    def two(**kwargs):
        pass

    api.register_callback("published", one)
    api.register_callback("published", one)
    api.register_callback("published", two)
    assert api.registered_callbacks() == {"published": [one, two]}
    api.deregister_callback("published", one)
    assert api.registered_callbacks() == {"published": [two]}
    with pytest.raises(ValueError):
        api.deregister_callback("published", one)
    api.deregister_all_callbacks()
    assert api.registered_callbacks() == {}

    got = []
    api.register_callback("custom", lambda **kwargs: got.append(kwargs))
    api.emit("custom", a=1)
    assert got == [{"a": 1}]


# Actions

def make_actions():
    return {on: type("On_" + on, (api.Action,), {"on": on, "label": on, "icon": "wrench"})
            for on in ("all", "notProcessed", "processed", "failed", "warning", "succeeded", "failedOrWarning")}


@pytest.mark.parametrize("state, offered", [
    ("not processed", {"all", "notProcessed"}),
    ("succeeded", {"all", "processed", "succeeded"}),
    ("warned", {"all", "processed", "succeeded", "warning", "failedOrWarning"}),
    ("failed", {"all", "processed", "failed", "failedOrWarning"}),
    ("warned and failed", {"all", "processed", "failed", "failedOrWarning"}),
])
def test_actions_offered_by_their_on(state, offered):
    by_on = make_actions()

    def process(self, context):
        if state.startswith("warned"):
            self.log.warning("almost")
        if state.endswith("failed"):
            raise AssertionError("invalid")

    each = plugin("Validate", 1, process, actions=list(by_on.values()))
    context = api.Context()
    if state != "not processed":
        api.publish(context, plugins=[each])
    assert {action.on for action in api.available_actions(each, context)} == offered


def test_running_an_action_records_its_result():
    repaired = []

    class Repair(api.Action):
        label = "Repair"
        icon = "wrench"
        on = "failed"

        def process(self, context, plugin):
            self.log.info("repairing for %s", plugin.__name__)
            repaired.append((context, plugin))

    class Broken(api.Action):
        on = "all"

        def process(self, context, plugin):
            raise RuntimeError("could not repair")

    class ValidateChair(api.ContextPlugin):
        order = api.ValidatorOrder
        actions = [api.Category("Fix"), Repair, api.Separator, Broken]

        def process(self, context):
            raise ValueError("broken chair")

    context = api.publish(plugins=[ValidateChair, plugin("Extract", 2)])
    offered = api.available_actions(ValidateChair, context)
    assert [a.__type__ for a in offered] == ["category", "action", "separator", "action"]
    assert offered[0].label == "Fix"

    result = api.run_action(Repair, ValidateChair, context)
    assert repaired == [(context, ValidateChair)]
    assert result["success"] is True and result["action"] is Repair and result["plugin"] is ValidateChair
    assert [r.getMessage() for r in result["records"]] == ["repairing for ValidateChair"]
    assert context.data["results"][-1] is result

    failed = api.run_action(Broken, ValidateChair, context)
    assert failed["success"] is False and "could not repair" in failed["error"].formatted_traceback
    # An action's failure is not the plugin's: what is offered depends on
    # the plugin's own results only, and they stop the publish as before.
    assert {a.on for a in api.available_actions(ValidateChair, context) if a.__type__ == "action"} == {"failed", "all"}
    assert logic.orders_with_error(context) == [api.ValidatorOrder]

    with pytest.raises(ValueError, match="not an action of"):
        api.run_action(make_actions()["all"], ValidateChair, context)


def test_an_unknown_on_is_an_error():
    each = plugin("P", actions=[type("Odd", (api.Action,), {"on": "sometimes"})])
    with pytest.raises(ValueError, match="sometimes"):
        actions.available_actions(each, api.Context())


# Discovery

def write(folder, name, source):
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


COLLECT_SOURCE = """\
    import qi.publish as api
    from qi.publish import InstancePlugin

    class CollectFromFile(api.ContextPlugin):
        order = api.CollectorOrder

        def process(self, context):
            context.data["fromFile"] = __file__

    class ValidateFromFile(InstancePlugin):
        order = api.ValidatorOrder
"""


def test_discovery_from_a_registered_folder_and_pyblishpluginpath(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write(first, "collect.py", COLLECT_SOURCE)
    write(second, "extract.py", """\
        import qi.publish as api

        class ExtractFromEnv(api.InstancePlugin):
            order = api.ExtractorOrder
    """)
    write(second, "notes.txt", "not a plugin")
    assert api.register_plugin_path(str(first)) == str(first)
    assert api.registered_paths() == [str(first)]
    monkeypatch.setenv("PYBLISHPLUGINPATH", os.pathsep.join([str(second), str(first)]))
    assert api.plugin_paths() == [str(first), str(second)]

    found = api.discover()
    # The classes the files define, not those they import (InstancePlugin).
    assert [p.__name__ for p in found] == ["CollectFromFile", "ValidateFromFile", "ExtractFromEnv"]
    context = api.publish()
    assert context.data["fromFile"] == str(first / "collect.py")

    api.deregister_plugin_path(str(first))
    monkeypatch.delenv("PYBLISHPLUGINPATH")
    assert api.discover() == []
    with pytest.raises(ValueError):
        api.deregister_plugin_path(str(first))


def test_a_file_that_fails_to_load_is_reported_not_fatal(tmp_path, caplog):
    write(tmp_path, "a_broken.py", """\
        import qi.publish as api

        class Broken(api.ContextPlugin)
            pass
    """)
    write(tmp_path, "b_raises.py", "raise ImportError('no maya here')\n")
    write(tmp_path, "_private.py", "raise SystemExit('must never be imported')\n")
    write(tmp_path, "c_fine.py", COLLECT_SOURCE)
    found = api.discover(paths=[str(tmp_path)])
    assert [p.__name__ for p in found] == ["CollectFromFile", "ValidateFromFile"]
    errors = api.discovery_errors()
    assert sorted(os.path.basename(path) for path in errors) == ["a_broken.py", "b_raises.py"]
    assert "SyntaxError" in errors[str(tmp_path / "a_broken.py")]
    assert "ImportError: no maya here" in errors[str(tmp_path / "b_raises.py")]
    assert "a_broken.py" in caplog.text and "b_raises.py" in caplog.text
    api.discover(paths=[])
    assert api.discovery_errors() == {}


def test_registered_plugins_replace_same_named_file_plugins_and_filters_apply(tmp_path):
    write(tmp_path, "collect.py", COLLECT_SOURCE)

    class ValidateFromFile(api.InstancePlugin):
        order = api.ValidatorOrder + 0.3

    api.register_plugin(ValidateFromFile)
    assert api.registered_plugins() == [ValidateFromFile]
    found = api.discover(paths=[str(tmp_path)])
    assert found[1] is ValidateFromFile

    assert [p.__name__ for p in api.discover(paths=[str(tmp_path)], regex="Validate")] == ["ValidateFromFile"]
    assert [p.__name__ for p in api.discover(paths=[str(tmp_path)], type=api.ContextPlugin)] == ["CollectFromFile"]

    def last_first(plugins):
        for each in plugins:
            each.order = -each.order
    api.register_discovery_filter(last_first)
    assert api.registered_discovery_filters() == [last_first]
    assert [p.__name__ for p in api.discover(paths=[str(tmp_path)])] == ["ValidateFromFile", "CollectFromFile"]
    api.deregister_discovery_filter(last_first)
    with pytest.raises(ValueError):
        api.deregister_discovery_filter(last_first)

    api.deregister_plugin(ValidateFromFile)
    with pytest.raises(ValueError):
        api.deregister_plugin(ValidateFromFile)
    with pytest.raises(TypeError):
        api.register_plugin(object)


def test_requires_is_checked_at_discovery(caplog):
    ok = plugin("Ok", requires="pyblish>=1.4,<2")
    too_new = plugin("TooNew", requires="pyblish>=2")
    not_pyblish = plugin("NotPyblish", requires="maya>=2022")
    for each in (ok, too_new, not_pyblish):
        api.register_plugin(each)
    assert api.discover() == [ok]
    assert "TooNew" in caplog.text and "NotPyblish" in caplog.text
    assert api.__version__ == "1.8.0" and api.version_info == (1, 8, 0)


def test_duplicate_plugin_names_in_files_keep_the_first(tmp_path, caplog):
    write(tmp_path, "a.py", COLLECT_SOURCE)
    write(tmp_path, "b.py", COLLECT_SOURCE.replace("CollectorOrder", "IntegratorOrder"))
    found = api.discover(paths=[str(tmp_path)])
    assert [p.__name__ for p in found] == ["CollectFromFile", "ValidateFromFile"]
    assert found[0].order == api.CollectorOrder
    assert "a plugin of that name came first" in caplog.text


# A publish in parts

def test_collect_validate_extract_integrate_continue_a_context():
    ran = []
    plugins = [recording(name, ran, order) for name, order in
               [("Collect", 0), ("Validate", 1), ("Extract", 2), ("Integrate", 3)]]
    context = api.collect(plugins=plugins)
    assert ran == [("Collect", None)]
    assert api.validate(context, plugins=plugins) is context
    assert api.extract(context, plugins=plugins) is context
    assert [name for name, _ in ran] == ["Collect", "Validate", "Extract"]
    api.integrate(context, plugins=plugins)
    api.publish(context, plugins=plugins)
    assert [name for name, _ in ran] == ["Collect", "Validate", "Extract", "Integrate"]
    assert names(context.data["results"]) == ["Collect", "Validate", "Extract", "Integrate"]

    del ran[:]
    api.validate(plugins=plugins)
    assert [name for name, _ in ran] == ["Collect", "Validate"]


def test_a_failed_validation_still_stops_a_continued_publish():
    ran = []
    plugins = [failing("Validate", 1), recording("Extract", ran, 2)]
    context = api.validate(plugins=plugins)
    api.publish(context, plugins=plugins)
    assert ran == []


# Context and instances

def test_context_and_instances():
    context = api.Context()
    a = context.create_instance("a", family="model", frameStart=1001)
    b = api.Instance("b", parent=context)
    loose = api.Instance("loose")
    assert list(context) == [a, b] and len(context) == 2
    assert a.data == {"name": "a", "family": "model", "frameStart": 1001}
    assert (a.name, str(a), repr(a)) == ("a", "a", "Instance('a')")
    assert a.parent is context and a.context is context and loose.context is None
    assert len({a.id, b.id, context.id, api.Context().id}) == 4
    assert context[0] is a and context[-1] is b and context[a.id] is a
    assert context.get(b.id) is b and context.get("nope") is None
    assert a.id in context and "nope" not in context and a in context and loose not in context
    with pytest.raises(KeyError):
        context["nope"]

    a.append("chair_GEO")
    a.extend(["leg_GEO", "seat_GEO"])
    assert list(a) == ["chair_GEO", "leg_GEO", "seat_GEO"] and a[1] == "leg_GEO"
    twin = context.create_instance("a", family="model", frameStart=1001)
    twin.extend(a)
    assert twin != a
    context.remove(twin)
    assert list(context) == [a, b]
    assert context.data.setdefault("comment", "first") == "first" and context.data.get("comment") == "first"


def test_the_engine_is_python_3_7_syntax():
    folders = [os.path.join(PYTHON_DIR, "qi", "publish"), os.path.join(PYTHON_DIR, "qi_fallback", "pyblish")]
    files = [os.path.join(folder, name) for folder in folders for name in os.listdir(folder) if name.endswith(".py")]
    assert len(files) >= 17
    for path in files:
        with open(path) as source:
            ast.parse(source.read(), path, feature_version=(3, 7))
