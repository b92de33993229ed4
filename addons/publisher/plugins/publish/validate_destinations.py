"""Qi's last validator: the integrator's dry run. The hub's
``publish.integrate`` with ``dry_run`` checks everything a publish needs
— the context and task in the tracker, the product type, the sources, a
destination for every file that does not exist yet — and writes nothing;
its report (the version that would be made, each file's destination) is
kept in ``instance.data["qiDryRun"]``."""
import pyblish.api

from qi.instances import failed_steps, integrate_payload


def hub_of(context):
    hub = context.data.get("hub")
    if hub is None:
        raise RuntimeError("no hub to publish through: this session is not connected to Qi")
    return hub


def message_of(error):
    """The sentence of a hub error (``qi.hub.HubError``'s message)."""
    return getattr(error, "message", None) or str(error)


class ValidateQiDestinations(pyblish.api.InstancePlugin):
    """The integrator accepts the product: its dry run."""

    label = "Qi destinations"
    order = pyblish.api.ValidatorOrder + 0.4
    hosts = ["*"]
    families = ["qi.product"]

    def process(self, instance):
        failed = failed_steps(instance)
        if failed:
            self.log.info("not asked: %s failed already", failed[0]["plugin"].__name__)
            return
        if not instance.data.get("representations"):
            self.log.info("not asked: the extractors make the representations; the integrator checks them")
            return
        payload = integrate_payload(instance.data, instance.context.data, dry_run=True)
        try:
            report = hub_of(instance.context).request("publish.integrate", payload, timeout=120)
        except Exception as error:
            raise RuntimeError(message_of(error)) from None
        instance.data["qiDryRun"] = report
        self.log.info("%s would be v%03d: %d files", report["product"]["name"], report["number"],
                      len(report["files"]))
        for entry in report["files"]:
            self.log.debug("%s -> %s", entry["source"], entry["path"])
