"""Qi's first collector: what the publish is about, in ``context.data``.

The caller (``qi --headless publish``, a DCC's session) gives ``project``,
``context`` (a path, ``/sq010/sh010``), ``task``, ``user`` and ``host``
in ``context.data``; what it leaves out comes from the launcher's
variables (``QI_PROJECT``, ``QI_CONTEXT``, ``QI_TASK``, ``QI_HOST``: a DCC
that Qi launched has them), the user from the system. Nothing here fails:
``ValidateQiProduct`` says what is missing.
"""
import getpass
import os

import pyblish.api

FROM_ENVIRONMENT = (("project", "QI_PROJECT"), ("context", "QI_CONTEXT"), ("task", "QI_TASK"),
                    ("host", "QI_HOST"))


class CollectQiContext(pyblish.api.ContextPlugin):
    """The project, context path, task, user and host of the publish."""

    label = "Qi context"
    order = pyblish.api.CollectorOrder - 0.49
    hosts = ["*"]

    def process(self, context):
        data = context.data
        for key, variable in FROM_ENVIRONMENT:
            if not data.get(key) and os.environ.get(variable):
                data[key] = os.environ[variable]
        if not data.get("host"):
            hosts = [host for host in pyblish.api.registered_hosts() if host != "python"]
            data["host"] = hosts[-1] if hosts else "python"
        if not data.get("user"):
            try:
                data["user"] = getpass.getuser()
            except Exception:  # no name for this uid (a container)
                data["user"] = None
        data.setdefault("task", None)
        self.log.info("Publishing in %s %s%s as %s from %s", data.get("project"), data.get("context"),
                      " (task %s)" % data["task"] if data.get("task") else "", data.get("user"), data["host"])
