"""A Python addon of every extension kind the tests drive: hub handlers
(answering now, later, from a thread, or raising), a subscription, CLI
verbs, REST routes, a settings schema, a tray item; and a blocking thread
that calls the hub while the hub keeps answering others."""
import threading
import time

from gi.repository import GLib, Qi

from qi.addon import call_in_main


class PyHello(Qi.Addon):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.events = 0

    def do_register_addon(self):
        endpoint = self.get_endpoint()
        endpoint.add_handler("pyhello.greet", self.greet)
        endpoint.add_handler("pyhello.later", self.later)
        endpoint.add_handler("pyhello.raise", self.explode)
        endpoint.add_handler("pyhello.block", self.block)
        endpoint.add_handler("pyhello.events", lambda request, payload: {"events": self.events})
        endpoint.add_handler("pyhello.exit", self.exit_handler)
        endpoint.add_handler("pyhello.bad_reply", lambda request, payload: {"x": object()})
        endpoint.subscribe("pyhello.ping.*", self.on_ping)
        greet = Qi.CliVerb.new("pyhello greet", "Greet from Python", self.greet_verb)
        greet.set_arguments("[NAME]", 0, 1)
        self.add_verb(greet)
        self.add_verb(Qi.CliVerb.new("pyhello raise", "Fail in Python", self.raise_verb))
        self.add_verb(Qi.CliVerb.new("pyhello interrupt", "Be interrupted", self.interrupt_verb))
        self.add_verb(Qi.CliVerb.new("pyhello thread", "Ask the hub from a thread", self.thread_verb))
        self.add_route("GET", "/api/pyhello/{name}", self.greet_route)
        self.add_route("GET", "/api/pyhello-raise", self.raise_route)
        self.add_tray_item("greet", "Greet (Python)", "pyhello.greet")
        return True

    def word(self):
        value, _origin = self.get_setting_value("greeting")
        return value

    def greet(self, request, payload):
        return {"greeting": "{}, {}".format(self.word(), payload.get("name", "world"))}

    def later(self, request, payload):
        def answer():
            request.reply({"later": payload.get("n", 0) + 1})
            return GLib.SOURCE_REMOVE

        GLib.timeout_add(20, answer)
        return None

    def explode(self, request, payload):
        return {"never": [][1]}

    def block(self, request, payload):
        """Blocks a Python thread for a while; that thread also asks the hub
        something (marshalled to the main loop) and answers at the end."""
        seconds = float(payload.get("seconds", 0.5))
        endpoint = self.get_endpoint()

        def work():
            time.sleep(seconds)
            pong = endpoint.request("hub.ping", {"from": "thread"}, 5000)
            call_in_main(request.reply, {"slept": seconds, "pong": pong})

        threading.Thread(target=work, daemon=True).start()
        return None

    def on_ping(self, topic, payload, message):
        self.events += 1
        if payload.get("raise"):
            raise RuntimeError("a subscriber that fails")

    def greet_verb(self, invocation):
        arguments = invocation.get_arguments()
        invocation.write("{}, {} (from Python)\n".format(self.word(), arguments[0] if arguments else "world"))
        return 0

    def raise_verb(self, invocation):
        raise ValueError("the verb failed on purpose")

    def interrupt_verb(self, invocation):
        raise KeyboardInterrupt()

    def thread_verb(self, invocation):
        """A one-shot command runs no main loop: a thread's hub call must
        not wait for one."""
        seen = {}

        def work():
            seen["pong"] = self.get_endpoint().request("hub.ping", {"from": "verb"}, 5000)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(10)
        invocation.write("{}\n".format(seen.get("pong")))
        return 0 if seen else 1

    def exit_handler(self, request, payload):
        raise SystemExit(9)

    def greet_route(self, request):
        return 200, {"greeting": "{}, {}".format(self.word(), request.get_param("name"))}

    def raise_route(self, request):
        raise KeyError("route")


schema = Qi.SettingsSchema.new("Python hello")
schema.add_string("greeting", "Greeting", "The word to greet with", "hello")
schema.set_length("greeting", 1, 16)
schema.attach(PyHello.__gtype__)
