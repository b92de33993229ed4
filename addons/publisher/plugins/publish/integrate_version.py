"""Qi's integrator: each product's files go to the studio's folders and
its version to the tracker, through the hub's ``publish.integrate``
(the ``publish`` addon, docs/protocol.md). The report goes to
``instance.data["qiReport"]``. A dry run (``context.data["dry_run"]``)
stops at the validators' dry run. A product sent to the farm
(``instance.data["qiFarm"]``, its render and publish jobs) is published
by its publish job instead."""
import pyblish.api

from qi.instances import failed_steps, check_representations, integrate_payload


class IntegrateQiVersion(pyblish.api.InstancePlugin):
    """Publishes the product as its next version."""

    label = "Qi version"
    order = pyblish.api.IntegratorOrder
    hosts = ["*"]
    families = ["qi.product"]

    def process(self, instance):
        context = instance.context
        if context.data.get("dry_run"):
            self.log.info("dry run: %s is not published", instance.data.get("productName"))
            return
        if instance.data.get("qiFarm"):
            jobs = instance.data["qiFarm"]
            self.log.info("%s is rendered on the farm (%s job %s); job %s publishes it once the render is done",
                          instance.data.get("productName"), jobs["job"]["farm"], jobs["job"]["id"],
                          jobs["publish_job"]["id"])
            return
        failed = failed_steps(instance)
        if failed:
            raise RuntimeError("%s is not published: %s failed" % (instance.data.get("productName"),
                                                                   failed[0]["plugin"].__name__))
        # the representations of a DCC's extractors are checked here
        check_representations(instance.data)
        hub = context.data.get("hub")
        if hub is None:
            raise RuntimeError("no hub to publish through: this session is not connected to Qi")
        payload = integrate_payload(instance.data, context.data)
        try:
            # a publish of many large files takes its time: a day at most
            report = hub.request("publish.integrate", payload, timeout=86400)
        except Exception as error:
            raise RuntimeError(getattr(error, "message", None) or str(error)) from None
        instance.data["qiReport"] = report
        self.log.info("%s v%03d published: %d files, %d bytes in %d ms", report["product"]["name"],
                      report["number"], len(report["files"]), report["bytes"], report["duration_ms"])
