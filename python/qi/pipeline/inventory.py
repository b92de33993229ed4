"""The scene inventory: what is loaded, and whether it is up to date
(standard library only).

:func:`states` computes each container's state from one answer of the
tracker for the whole scene (``db_service.version.inventory``, never a
request per container):

- ``locked``: the artist pinned it; it is never offered an update;
- ``not_found``: its version is gone from the tracker;
- ``outdated``: its product has a newer published version;
- ``latest``: it holds the newest.

:class:`Inventory` lists the host's containers with their states, keeps
them while the session runs (a version published elsewhere reaches it as
a hub event, :meth:`Inventory.on_version_changed`) and updates, sets,
switches and removes containers through their loaders.
"""
from . import records
from .load import LoadError, compatible_loaders, project_of, resolve

__all__ = ["LATEST", "OUTDATED", "NOT_FOUND", "LOCKED", "states", "Inventory", "InventoryError"]

LATEST, OUTDATED, NOT_FOUND, LOCKED = "latest", "outdated", "not_found", "locked"


class InventoryError(ValueError):
    """What the inventory cannot do, in one sentence."""


def state_of(container, answer):
    if container.get("locked"):
        return LOCKED
    if answer is None or answer.get("version") is None:
        return NOT_FOUND
    latest = answer.get("latest")
    if latest is not None and latest["number"] > answer["version"]["number"]:
        return OUTDATED
    return LATEST


def states(containers, answers):
    """``[(container, state, version, latest)]`` for the host's containers
    and the tracker's ``version.inventory`` answers."""
    by_id = {answer["id"]: answer for answer in answers}
    rows = []
    for container in containers:
        answer = by_id.get(container["version"])
        rows.append((container, state_of(container, answer), answer.get("version") if answer else None,
                     answer.get("latest") if answer else None))
    return rows


def row_dict(container, state, version, latest):
    return {"container": dict(container), "state": state,
            "version": version["number"] if version else None,
            "latest": latest["number"] if latest else None,
            "latest_version": latest["id"] if latest else None}


class Inventory(object):
    """The inventory of one host's scene, over ``hub`` (``request(topic,
    payload, timeout)``), with the loader classes ``loaders``."""

    def __init__(self, host, hub, loaders, project=None):
        self.host = host
        self.hub = hub
        self.loaders = {cls.name(): cls for cls in loaders}
        self.project = project
        #: the last rows, by container id
        self.rows = {}
        self._roots = None

    # -- listing -----------------------------------------------------------

    def containers(self):
        found = []
        for record, _members in self.host.containers():
            try:
                found.append(records.check(record, records.CONTAINER_SCHEMA, "a container of the scene"))
            except records.RecordError as error:
                self.host.warn("Qi: %s" % error)
        return found

    def list(self):
        """Every container with its state: one request to the tracker."""
        containers = self.containers()
        answers = []
        if containers:
            ids = sorted({c["version"] for c in containers})
            answers = self.hub.request("db_service.version.inventory", {"versions": ids}, timeout=60)["versions"]
        self.rows = {c["id"]: row_dict(*row) for c, row in zip(containers, states(containers, answers))}
        return [self.rows[c["id"]] for c in containers]

    def on_version_changed(self, payload):
        """A ``db_service.version.changed`` event: the rows it changes (a new
        published version of a product in the scene), each as listed."""
        version = payload.get("version") or {}
        if payload.get("action") not in ("published", "updated", "deleted", "abandoned") or not version:
            return []
        product = str(version.get("product"))
        changed = []
        for row in self.rows.values():
            container = row["container"]
            if container["product"] != product:
                continue
            if payload["action"] == "published" and (row["latest"] is None or version["number"] > row["latest"]):
                row["latest"] = version["number"]
                row["latest_version"] = str(version["id"])
                if row["state"] == LATEST and version["number"] > (row["version"] or 0):
                    row["state"] = OUTDATED
                changed.append(row)
        return changed

    # -- loading -----------------------------------------------------------

    def roots(self, project):
        if self._roots is None:
            self._roots = self.hub.request("templates.list", {"project": project}, timeout=30).get("roots") or {}
        return self._roots

    def load_context(self, version_id, representation):
        """What a loader gets: the version, its product, the representation
        (by name or id) and its files resolved for this platform."""
        version = self.hub.request("db_service.version.get", {"id": version_id}, timeout=30)
        if version.get("state") != "published":
            raise LoadError("version %s of %s is not published" % (version.get("number"), version.get("product_name")))
        components = version.get("components") or []
        chosen = [c for c in components if c["name"] == representation or str(c["id"]) == str(representation)]
        if not chosen:
            raise LoadError("version %d of %s has no representation “%s” (it has %s)" % (
                version["number"], version["product_name"], representation,
                ", ".join(c["name"] for c in components) or "none"))
        project = project_of(version, self.project)
        product = {"id": version["product"], "name": version["product_name"], "type": version["product_type"]}
        files = resolve(chosen[0], self.roots(project))
        return {"project": project, "product": product, "version": version, "representation": chosen[0],
                "files": files, "path": files[0] if files else None}

    def loaders_for(self, context):
        return compatible_loaders(list(self.loaders.values()), context["product"]["type"], context["representation"])

    def loader(self, name):
        try:
            return self.loaders[name](self.host)
        except KeyError:
            raise InventoryError("no loader “%s” in %s (the loaders: %s)" % (
                name, self.host.name, ", ".join(sorted(self.loaders)) or "none")) from None

    def load(self, version_id, representation, loader=None, namespace=None, options=None):
        """Loads a representation as a new container; returns its record."""
        context = self.load_context(version_id, representation)
        fitting = self.loaders_for(context)
        if loader is None:
            if not fitting:
                raise LoadError("no loader of %s loads the representation “%s” of a %s" % (
                    self.host.name, context["representation"]["name"], context["product"]["type"]))
            cls = fitting[0]
        else:
            cls = self.loaders.get(loader)
            if cls is None or cls not in fitting:
                raise LoadError("the loader “%s” does not load the representation “%s” of a %s (these do: %s)" % (
                    loader, context["representation"]["name"], context["product"]["type"],
                    ", ".join(l.name() for l in fitting) or "none"))
        name = context["product"]["name"]
        namespace = namespace or self.host.unique_namespace(name)
        members = cls(self.host).load(context, name, namespace, options or {})
        record = records.container(name, namespace, cls.name(), context["representation"], context["version"],
                                   context["product"], context["project"])
        self.host.write_container(record, members)
        return record

    # -- managing ------------------------------------------------------------

    def get(self, container_id):
        for container in self.containers():
            if container["id"] == container_id:
                return container
        raise InventoryError("no container “%s” in the scene" % container_id)

    def _version_of(self, container, version):
        """The id of the version to set: ``"latest"``, a number, or
        ``+1`` / ``-1`` from the container's."""
        listed = self.hub.request("db_service.version.list", {"product": container["product"], "limit": 10000},
                                  timeout=30)["versions"]
        if not listed:
            raise InventoryError("%s has no published version" % container["product_name"])
        numbers = {v["number"]: v for v in listed}
        if version == "latest":
            return listed[0]
        if isinstance(version, str) and version in ("+1", "-1"):
            ordered = sorted(numbers)
            current = container["version_number"]
            later = [n for n in ordered if n > current] if version == "+1" else [n for n in ordered if n < current]
            if not later:
                raise InventoryError("%s v%03d has no %s version" % (
                    container["product_name"], current, "later" if version == "+1" else "earlier"))
            return numbers[later[0] if version == "+1" else later[-1]]
        if isinstance(version, int) and not isinstance(version, bool) and version in numbers:
            return numbers[version]
        raise InventoryError("%s has no published version %r (it has %s)" % (
            container["product_name"], version, ", ".join("v%03d" % n for n in sorted(numbers))))

    def update(self, container_id, version="latest", representation=None):
        """Sets a container to another version (and representation) through
        its loader; returns the new record."""
        container = self.get(container_id)
        if container["locked"]:
            raise InventoryError("the container %s is locked: unlock it to change its version" % container["name"])
        target = self._version_of(container, version)
        context = self.load_context(target["id"], representation or container["representation_name"])
        loader = self.loader(container["loader"])
        if type(loader) not in self.loaders_for(context):
            raise InventoryError("the loader “%s” does not load the representation “%s”" % (
                container["loader"], context["representation"]["name"]))
        members = loader.update(container, context)
        return self._rewrite(container, context, container["loader"], members)

    def switch(self, container_id, representation=None, product=None, version="latest"):
        """Puts another representation (or another product's) in a
        container, through the best loader for it."""
        container = self.get(container_id)
        if container["locked"]:
            raise InventoryError("the container %s is locked" % container["name"])
        if product is not None and str(product) != container["product"]:
            listed = self.hub.request("db_service.version.list", {"product": product, "limit": 1}, timeout=30)
            if not listed["versions"]:
                raise InventoryError("the product %s has no published version" % product)
            target = listed["versions"][0]
        else:
            target = self._version_of(container, version)
        context = self.load_context(target["id"], representation or container["representation_name"])
        fitting = self.loaders_for(context)
        if not fitting:
            raise LoadError("no loader of %s loads the representation “%s”" % (
                self.host.name, context["representation"]["name"]))
        old = self.loader(container["loader"])
        if type(old) in fitting:
            members = old.switch(container, context)
            name = container["loader"]
        else:
            old.remove(container)
            new = fitting[0](self.host)
            members = new.load(context, container["name"], container["namespace"], {})
            name = new.name()
        return self._rewrite(container, context, name, members)

    def _rewrite(self, container, context, loader, members):
        record = dict(container)
        record.update(loader=loader, representation=str(context["representation"]["id"]),
                      representation_name=context["representation"]["name"],
                      version=str(context["version"]["id"]), version_number=int(context["version"]["number"]),
                      product=str(context["product"]["id"]), product_name=context["product"]["name"],
                      product_type=context["product"]["type"])
        self.host.write_container(record, members)
        return record

    def remove(self, container_id):
        container = self.get(container_id)
        self.loader(container["loader"]).remove(container)
        self.host.remove_container(container_id)
        self.rows.pop(container_id, None)

    def lock(self, container_id, locked=True):
        container = self.get(container_id)
        record = dict(container, locked=bool(locked))
        self.host.write_container(record, None)
        return record
