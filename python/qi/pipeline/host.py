"""What a DCC's host implements for the pipeline (standard library only):
:class:`PipelineHost`, a :class:`qi.host.Host` that also keeps Qi's
records in its scene."""
import re

import qi.host

__all__ = ["PipelineHost"]


class PipelineHost(qi.host.Host):
    """A DCC's host with Qi's records in its scene. A host stores each
    record with the members it holds (object or node names) so that a
    saved and reopened scene keeps them, and says what is selected."""

    def instances(self):
        """``[(record, members)]`` of the instance records in the scene."""
        raise NotImplementedError

    def write_instance(self, record, members):
        """Stores (or replaces, by ``record["id"]``) an instance record with
        its members."""
        raise NotImplementedError

    def remove_instance(self, instance_id):
        raise NotImplementedError

    def containers(self):
        """``[(record, members)]`` of the container records in the scene."""
        raise NotImplementedError

    def write_container(self, record, members):
        """Stores (or replaces) a container record; ``members`` None keeps
        the ones it holds."""
        raise NotImplementedError

    def remove_container(self, container_id):
        raise NotImplementedError

    def container_members(self, container_id):
        for record, members in self.containers():
            if record.get("id") == container_id:
                return members
        return []

    def selection(self):
        """The names of what the artist selected."""
        return []

    def select(self, members):
        """Selects ``members`` (the inventory's “select in the scene”)."""

    def unique_namespace(self, name):
        """``name_01``, ``name_02``…: the first a container of the scene
        does not have."""
        taken = {record.get("namespace") for record, _members in self.containers()}
        for index in range(1, 10000):
            candidate = "%s_%02d" % (re.sub(r"[^A-Za-z0-9_]", "_", name), index)
            if candidate not in taken:
                return candidate
        raise ValueError("no free namespace for %s" % name)

    # -- building from templates (docs/building.md) -------------------------

    def placeholders(self):
        """``[(record, members)]`` of the placeholder records in the scene."""
        return []

    def write_placeholder(self, record, members=None):
        raise NotImplementedError("%s keeps no placeholders" % self.name)

    def remove_placeholder(self, placeholder_id):
        """Removes the placeholder; what it held stays in the scene."""
        raise NotImplementedError("%s keeps no placeholders" % self.name)

    def release_members(self, placeholder_id, members=None):
        """What a create placeholder's instance holds: ``members`` (its own),
        or with None the scene's content outside the placeholders."""
        return list(members or [])

    def open_template(self, path):
        """Opens a workfile template as the scene to build."""
        self.open(path)

    def run_script(self, code, build):
        """A script placeholder: runs ``code`` with ``build`` in its globals."""
        exec(compile(code, "<placeholder %s>" % build["placeholder"]["label"], "exec"), {"build": build})

    def apply_context(self, values):
        """A context placeholder: ``frame_range`` ([first, last]), ``fps``,
        ``resolution`` ([width, height])."""
        raise NotImplementedError("%s cannot set a scene's frame range, fps or resolution" % self.name)

    def staging_dir(self, instance_name):
        """A folder for an instance's extracted files (a fresh temporary one
        by default)."""
        import tempfile

        return tempfile.mkdtemp(prefix="qi-%s-" % re.sub(r"[^A-Za-z0-9_]", "_", instance_name))
