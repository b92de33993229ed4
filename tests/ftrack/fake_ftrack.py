#!/usr/bin/python3
"""A stateful fake ftrack server: ftrack's JSON API (POST /api) on loopback.

For conformance tests of tracker adapters that speak ftrack's API. It knows
nothing of any particular client; the recorded schemas of a real ftrack
(FIXTURES/query_schemas.json) are its source of truth for entity types,
attributes, relations, primary keys, defaults, required and immutable
attributes, default and system projections.

Modelled:
  - a request is a JSON list of operations answered by a list of results, in
    order, as one transaction (an error answers one error object, HTTP 200,
    and nothing of the batch stays); requests are serialized by one lock;
  - ftrack-user / ftrack-api-key checked against the command line (401);
  - query_server_information / query_schemas answer the recorded files byte
    for byte; query / create / update / delete on any entity type of the
    schema, kept in memory;
  - the query language: select … from T where … order by … offset … limit …
    with is, is_not, in, not_in, like, not_like, >, >=, <, <=, after, before,
    and, or, not, parentheses, `has` / `any` sub-expressions, paths through
    relations and collections (collections match when any item matches);
  - polymorphism (Context, TypedContext, Component, Resource, List) with the
    TypedContext subtypes and their ObjectType ids read from the schema's
    alias_for classifiers;
  - answers shaped like the recorded ones: every entity carries
    __entity_type__, its primary key, its system projections and
    polymorphic classifiers (e.g. a Task: context_type, object_type_id,
    project_id); an entity met again inside itself (asset.versions of a
    version), as in the recordings, or met again in the same answer with
    the same projections (the shared status of many tasks), is written only
    as a reference ({__entity_type__, id}): clients must resolve references
    by identity, as ftrack's own client does;
  - computed attributes: link, ancestors, descendants, children, project_id
    (from the parent), Asset.latest_version, AssetVersion.is_latest_version,
    assignments / allocations (Appointment.type), metadata (also set with
    "metadata": {"k": "v"} in entity_data), version numbers (max + 1 per
    asset), created_at / created_by, AssetVersion.date and user;
  - constraints: unknown types and attributes, value types, required and
    immutable attributes, foreign keys that point at nothing, a context's
    name unique among its siblings, an Asset's (context, type, name), a
    User's username, duplicate primary keys; deletes cascade to children,
    assets, versions, components, the members of a container, component
    locations, appointments, metadata and the links from and to a version
    or context, and clear the thumbnail_id of what showed a deleted
    component;
  - uploads to the ftrack.server location as ftrack's API clients make them:
    the get_upload_metadata action ({"component_id", "file_name",
    "file_size", "checksum"?} of an existing FileComponent) answers
    {"url", "headers", "component_id"}, a signed URL on this server
    (PUT /storage/COMPONENT?signature=…) and the headers the PUT must
    carry (Content-Type from the file name, Content-Length, and Content-MD5
    when a checksum was given); the PUT is refused (403) without the
    signature or with other signed headers, and (400) when its length or
    MD5 digest is not the announced one; the bytes are kept by component;
  - seed data of a new site: ObjectTypes, States, Statuses, Priorities, task
    Types, AssetTypes, a ProjectSchema, the Locations ftrack.server and
    ftrack.unmanaged with ftrack's own ids, the API user;
  - test controls: GET /_fake/requests (the PUTs of uploads too),
    GET /_fake/uploads, POST /_fake/reset, /_fake/fail {"status", "count",
    "method"?} (the next requests, or the next of that method),
    /_fake/delay {"ms", "every"} (the next request, or with "every" each
    one until the next delay or reset), /_fake/race {"before_create",
    "operations"} (another client's operations, run in a transaction of
    their own just before the next request that creates an entity of that
    type); each logged request has its "started" and "finished" times
    (time.monotonic()), so a test can tell that requests overlapped.

Not modelled: sub-queries (`in (select …)`), custom attributes, permissions
and security roles, workflow schemas (every statusable context may take any
Status), event hub, multi-part uploads, reading a file back
(/component/get), thumbnails propagated to a version's task and shot, the
other non-CRUD actions (they answer an error), time zones (datetimes are
naive), `like` is case-sensitive, a TypedContext's type_id is not
required, two versions of one asset may be given the same number
explicitly, no default page size.

  fake_ftrack.py --fixtures DIR --port 0 --user NAME --key KEY [--port-file F]
"""
import argparse
import base64
import datetime
import hashlib
import json
import mimetypes
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FtrackError(Exception):
    """An operation failed: the whole batch answers ValueError with this sentence."""


class DT(str):
    """A datetime value, kept as its ISO text ("2026-12-01T11:04:54")."""


class Raw:
    """An answer to write out as recorded, byte for byte."""
    def __init__(self, text):
        self.text = text


def now():
    return DT(datetime.datetime.utcnow().replace(microsecond=0).isoformat())


def encode(v):
    if isinstance(v, DT):
        return {"__type__": "datetime", "value": str(v)}
    return v


def decode(v):
    if isinstance(v, dict) and v.get("__type__") == "datetime":
        return DT(v.get("value"))
    return v


NS = uuid.UUID("6b1c3a52-8f4e-4d36-9a51-0d2a8c7e4f10")


def seed_id(kind, name):
    return str(uuid.uuid5(NS, kind + ":" + name))


# ---------------------------------------------------------------- schema

class Schema:
    def __init__(self, entities):
        self.types = {e["id"]: e for e in entities}
        self.object_type_of = {}      # TypedContext subtype -> ObjectType id
        subtypes = {"Context": ["Project", "TypedContext"], "TypedContext": [],
                    "Component": ["FileComponent", "SequenceComponent", "ContainerComponent"],
                    "Resource": ["User", "Group"], "List": []}
        for name, e in self.types.items():
            alias = e.get("alias_for")
            if isinstance(alias, dict) and alias.get("id") == "Task":
                subtypes["TypedContext"].append(name)
                self.object_type_of[name] = alias["classifiers"]["object_typeid"]
            elif isinstance(alias, dict) and alias.get("id") == "List":
                subtypes["List"].append(name)
        self.subtypes = {k: [t for t in v if t in self.types] for k, v in subtypes.items()}

    def check_type(self, name):
        if name not in self.types:
            raise FtrackError(f"Unknown entity type '{name}'.")
        return self.types[name]

    def props(self, name):
        return self.types[name]["properties"]

    def concretes(self, name):
        if name in self.subtypes:
            out = []
            for t in self.subtypes[name]:
                out += self.concretes(t)
            return out
        return [name]

    def is_a(self, concrete, name):
        return concrete in self.concretes(name)

    def pk(self, name):
        return self.types[name]["primary_key"]

    def prop(self, t, attr, relation=False):
        """The schema of attr on t, or on one of t's subtypes (None if none
        has it); with relation, one where it is a relation if any is."""
        found = [self.props(c)[attr] for c in [t] + self.concretes(t) if attr in self.props(c)]
        if relation:
            found = [p for p in found if "$ref" in p or "items" in p] or found
        return found[0] if found else None

    def kind(self, t, attr):
        p = self.prop(t, attr)
        if "items" in p:
            return "many"
        if "$ref" in p:
            return "one"
        return "scalar"

    def target(self, t, attr):
        p = self.prop(t, attr)
        return p["items"]["$ref"] if "items" in p else p["$ref"]

    def fk(self, t, attr):
        """The local attribute holding the id of to-one relation `attr`."""
        props = self.props(t)
        if attr + "_id" in props:
            return attr + "_id"
        ref = props[attr]["$ref"]
        cands = [a for a, p in props.items()
                 if p.get("format") == "foreign_key" and p.get("description") == f"Foreign key(s): {ref}.id"]
        return cands[0] if len(cands) == 1 else "_" + attr + "_id"

    def reverse(self, t, attr):
        """The attribute of the item type pointing back at `t`, for a collection."""
        item = self.target(t, attr)
        for a, p in self.props(item).items():
            ref = p.get("$ref")
            if ref and "items" not in p and (self.is_a(t, ref) or t == ref):
                return item, self.fk(item, a)
        return item, None

    def client_name(self, t, server_name):
        props = self.props(t)
        for a, p in props.items():
            if p.get("alias_for") == server_name:
                return a
        return server_name if server_name in props else None

    def system_attrs(self, t):
        e = self.types[t]
        names = list(e.get("system_projections", []))
        alias = e.get("alias_for")
        if isinstance(alias, dict):
            names += list(alias.get("classifiers", {}))
        out = []
        for n in names:
            c = self.client_name(t, n)
            if c and self.kind(t, c) == "scalar" and c not in out:
                out.append(c)
        return out

    def resolve(self, t, path, what="attribute"):
        """Checks a dotted path from type t; answers the list of (type, attr)."""
        steps = []
        parts = path.split(".")
        for i, attr in enumerate(parts):
            if self.prop(t, attr) is None:
                raise FtrackError(f"Unknown attribute '{attr}' on '{t}' (in '{path}').")
            steps.append((t, attr))
            if i < len(parts) - 1:
                p = self.prop(t, attr, relation=True)
                if "$ref" not in p and "items" not in p:
                    raise FtrackError(f"Attribute '{attr}' on '{t}' is not a relation (in '{path}').")
                t = p["items"]["$ref"] if "items" in p else p["$ref"]
        return steps


# ---------------------------------------------------------------- query language

TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<num>-?\d+(?:\.\d+)?)'
                   r'|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<op>>=|<=|!=|=|>|<|\(|\)|,))')
COMPARE = {"is", "is_not", "like", "not_like", ">", ">=", "<", "<=", "after", "before", "=", "!="}
SYNONYM = {"=": "is", "!=": "is_not"}


def tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = TOKEN.match(text, pos)
        if not m:
            raise FtrackError(f"Invalid query syntax at position {pos} of '{text}': "
                              f"unexpected character '{text[pos:].lstrip()[0]}'.")
        kind = m.lastgroup
        val = m.group(kind)
        start = m.start(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        elif kind == "num":
            val = float(val) if "." in val else int(val)
        out.append((kind, val, start))
        pos = m.end()
    out.append(("end", None, len(text)))
    return out


class Parser:
    def __init__(self, schema, text):
        self.schema, self.text, self.toks, self.i = schema, text, tokenize(text), 0

    def peek(self):
        return self.toks[self.i]

    def word(self, *words):
        k, v, _ = self.peek()
        return k == "name" and v.lower() in words

    def take(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected):
        k, v, pos = self.peek()
        near = "the end" if k == "end" else f"'{v}'"
        raise FtrackError(f"Invalid query syntax at position {pos} of '{self.text}': "
                          f"expected {expected}, found {near}.")

    def expect(self, kind, value=None, what=None):
        k, v, _ = self.peek()
        if k != kind or (value is not None and (v.lower() if k == "name" else v) != value):
            self.fail(what or repr(value))
        return self.take()[1]

    def query(self):
        select = None
        if self.word("select"):
            self.take()
            select = [self.expect("name", what="an attribute")]
            while self.peek()[1] == ",":
                self.take()
                select.append(self.expect("name", what="an attribute"))
            self.expect("name", "from", "'from'")
        etype = self.expect("name", what="an entity type")
        self.schema.check_type(etype)
        self.type = etype
        q = {"type": etype, "select": select, "where": None, "order": [], "offset": 0, "limit": None}
        if select:
            for p in select:
                self.schema.resolve(etype, p)
        if self.word("where"):
            self.take()
            q["where"] = self.expr(etype)
        while self.peek()[0] != "end":
            if self.word("order"):
                self.take()
                self.expect("name", "by", "'by'")
                while True:
                    path = self.expect("name", what="an attribute")
                    self.schema.resolve(etype, path)
                    desc = False
                    if self.word("ascending", "descending"):
                        desc = self.take()[1].lower() == "descending"
                    q["order"].append((path, desc))
                    if self.peek()[1] != ",":
                        break
                    self.take()
            elif self.word("offset", "limit"):
                which = self.take()[1].lower()
                n = self.peek()
                if n[0] != "num" or not isinstance(n[1], int) or n[1] < 0:
                    self.fail("a whole number")
                q[which] = self.take()[1]
            else:
                self.fail("'order by', 'offset', 'limit' or the end")
        return q

    def expr(self, t):
        left = self.conj(t)
        while self.word("or"):
            self.take()
            left = ("or", left, self.conj(t))
        return left

    def conj(self, t):
        left = self.neg(t)
        while self.word("and"):
            self.take()
            left = ("and", left, self.neg(t))
        return left

    def neg(self, t):
        if self.word("not"):
            self.take()
            return ("not", self.neg(t))
        if self.peek()[1] == "(" and self.peek()[0] == "op":
            self.take()
            e = self.expr(t)
            self.expect("op", ")", "')'")
            return e
        path = self.expect("name", what="an attribute")
        steps = self.schema.resolve(t, path)
        k, v, _ = self.peek()
        op = v.lower() if k == "name" else v
        if k == "name" and op in ("has", "any"):
            self.take()
            lt, la = steps[-1]
            p = self.schema.prop(lt, la, relation=True)
            if "$ref" not in p and "items" not in p:
                raise FtrackError(f"Attribute '{la}' on '{lt}' is not a relation; '{op}' needs one (in '{path}').")
            self.expect("op", "(", "'('")
            sub = self.expr(p["items"]["$ref"] if "items" in p else p["$ref"])
            self.expect("op", ")", "')'")
            return ("has", path, sub)
        if k == "name" and op in ("in", "not_in"):
            self.take()
            self.expect("op", "(", "'('")
            values = [self.value()]
            while self.peek()[1] == ",":
                self.take()
                values.append(self.value())
            self.expect("op", ")", "')'")
            return (op, path, values)
        if (k == "name" and op in COMPARE) or (k == "op" and op in COMPARE):
            self.take()
            return (SYNONYM.get(op, op), path, self.value())
        self.fail("an operator (is, is_not, =, !=, in, not_in, like, not_like, >, >=, <, <=, after, before, "
                  "has, any)")

    def value(self):
        k, v, _ = self.peek()
        if k in ("str", "num"):
            return self.take()[1]
        if k == "name" and v in ("True", "False", "None"):
            self.take()
            return {"True": True, "False": False, "None": None}[v]
        if k == "name" and v.lower() == "select":
            raise FtrackError(f"Sub-queries are not supported by this fake server (in '{self.text}').")
        self.fail('a value (a "string", a number, True, False or None)')


def like(value, pattern):
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.S) is not None


def compare(op, a, b):
    if op == "is":
        return a is b if isinstance(a, bool) or isinstance(b, bool) else a == b
    if op == "is_not":
        return not compare("is", a, b)
    if op == "like":
        return like(a, b)
    if op == "not_like":
        return a is not None and not like(a, b)
    if a is None or b is None or isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return {">": a > b, "after": a > b, ">=": a >= b, "<": a < b, "before": a < b, "<=": a <= b}[op]
    except TypeError:
        return False


# ---------------------------------------------------------------- the store

CASCADE = {"children", "assets", "versions", "components", "members", "component_locations", "appointments"}
LINKS = {"AssetVersion": "AssetVersionLink", "TypedContext": "TypedContextLink"}
# The ids every ftrack site gives its built-in locations (ftrack_api.symbol).
LOCATION_IDS = {"ftrack.server": "3a372bde-05bc-11e4-8908-20c9d081909b",
                "ftrack.unmanaged": "cb268ecc-8809-11e3-a7e2-20c9d081909b"}
APPOINTMENT_KIND = {"assignments": "assignment", "allocations": "allocation"}


class Store:
    def __init__(self, schema, user):
        self.schema, self.user = schema, user
        self.rows = {}
        self.signed = {}    # signature -> the upload it allows
        self.seed()

    # -- rows
    def key(self, t, rec):
        return (t, tuple(rec.get(a) for a in self.schema.pk(t)))

    def get(self, t, ident):
        for c in self.schema.concretes(t):
            rec = self.rows.get((c, ident if isinstance(ident, tuple) else (ident,)))
            if rec is not None:
                return rec
        return None

    def all(self, t):
        types = set(self.schema.concretes(t))
        return [r for (c, _), r in self.rows.items() if c in types]

    def insert(self, rec):
        k = self.key(rec["__entity_type__"], rec)
        if k in self.rows:
            raise FtrackError(f"Duplicate entry: a '{k[0]}' with primary key {list(k[1])} already exists.")
        self.rows[k] = rec

    # -- relations
    def one(self, rec, attr):
        t = rec["__entity_type__"]
        if t == "Asset" and attr == "latest_version":
            vs = self.many(rec, "versions")
            return max(vs, key=lambda v: v.get("version") or 0) if vs else None
        ident = rec.get(self.schema.fk(t, attr))
        return None if ident is None else self.get(self.schema.target(t, attr), ident)

    def many(self, rec, attr):
        t = rec["__entity_type__"]
        if attr == "ancestors":
            out, p = [], self.get("Context", rec.get("parent_id"))
            while p is not None and p["__entity_type__"] != "Project" and p not in out and p is not rec:
                out.insert(0, p)
                p = self.get("Context", p.get("parent_id"))
            return out
        if attr == "descendants":
            out, todo, seen = [], [rec["id"]], {rec["id"]}
            while todo:
                parent = todo.pop(0)
                kids = [c for c in self.all("TypedContext") if c.get("parent_id") == parent and c["id"] not in seen]
                seen.update(c["id"] for c in kids)
                out += kids
                todo += [c["id"] for c in kids]
            return out
        if attr == "metadata":
            return [m for m in self.all("Metadata") if m.get("parent_id") == rec.get("id")]
        item, fk = self.schema.reverse(t, attr)
        if fk is None:
            return []
        out = [r for r in self.all(item) if r.get(fk) is not None and r.get(fk) == rec.get("id")]
        if item == "Appointment" and attr in APPOINTMENT_KIND:
            out = [r for r in out if r.get("type") == APPOINTMENT_KIND[attr]]
        return out

    def scalar(self, rec, attr):
        t = rec["__entity_type__"]
        if attr in ("link", "_link") and self.schema.is_a(t, "Context"):
            chain, p = [], rec
            while p is not None and all(c["id"] != p["id"] for c in chain):
                chain.insert(0, {"id": p["id"], "name": p.get("name"),
                                 "type": "Project" if p["__entity_type__"] == "Project" else "TypedContext"})
                p = self.get("Context", p.get("parent_id"))
            return chain
        if t == "AssetVersion" and attr == "is_latest_version":
            asset = self.one(rec, "asset")
            return asset is not None and self.one(asset, "latest_version") is rec
        if attr in ("time_logged", "bid_time_logged_difference") and attr not in rec:
            return 0
        return rec.get(attr)

    def values(self, rec, path):
        """The values a dotted path reaches from rec (records for relations)."""
        cur = [rec]
        for attr in path.split("."):
            nxt = []
            for r in cur:
                if not isinstance(r, dict) or attr not in self.schema.props(r["__entity_type__"]):
                    nxt.append(None)
                    continue
                kind = self.schema.kind(r["__entity_type__"], attr)
                if kind == "scalar":
                    nxt.append(self.scalar(r, attr))
                elif kind == "one":
                    nxt.append(self.one(r, attr))
                else:
                    nxt += self.many(r, attr)
            cur = nxt
        return cur

    def matches(self, rec, e):
        op = e[0]
        if op == "and":
            return self.matches(rec, e[1]) and self.matches(rec, e[2])
        if op == "or":
            return self.matches(rec, e[1]) or self.matches(rec, e[2])
        if op == "not":
            return not self.matches(rec, e[1])
        vals = self.values(rec, e[1])
        if op == "has":
            return any(v is not None and self.matches(v, e[2]) for v in vals)
        vals = [v.get("id") if isinstance(v, dict) else v for v in vals]
        if op == "in":
            return any(v is not None and v in e[2] for v in vals)
        if op == "not_in":
            return any(v is not None and v not in e[2] for v in vals)
        return any(compare(op, v, e[2]) for v in vals)

    # -- answers
    def ident_attrs(self, rec):
        t = rec["__entity_type__"]
        out = {"__entity_type__": t}
        for a in self.schema.pk(t):
            out[a] = rec.get(a)
        return out

    def serialize(self, rec, tree, seen, stack=()):
        """rec as an answer: a reference only if it is being written around
        this place (a cycle) or was written earlier in the answer with the
        same projections; the client resolves references by identity."""
        t = rec["__entity_type__"]
        out = self.ident_attrs(rec)
        k = self.key(t, rec)
        if k in stack or tree in seen.setdefault(k, []):
            return out
        seen[k].append(tree)
        stack = stack + (k,)
        for a in self.schema.system_attrs(t):
            out[a] = encode(self.scalar(rec, a))
        for attr, sub in tree.items():
            if attr not in self.schema.props(t):
                continue  # an attribute of another subtype
            kind = self.schema.kind(t, attr)
            if kind == "scalar":
                out[attr] = encode(self.scalar(rec, attr))
                continue
            if not sub:
                sub = self.tree(self.schema.types[self.schema.target(t, attr)]["default_projections"])
            if kind == "one":
                r = self.one(rec, attr)
                out[attr] = None if r is None else self.serialize(r, sub, seen, stack)
            else:
                out[attr] = [self.serialize(r, sub, seen, stack) for r in self.many(rec, attr)]
        return out

    @staticmethod
    def tree(paths):
        root = {}
        for p in paths:
            node = root
            for part in p.split("."):
                node = node.setdefault(part, {})
        return root

    def scalars(self, rec):
        return {k: encode(v) for k, v in rec.items()
                if v is not None and (k == "__entity_type__" or not k.startswith("_"))}

    # -- operations
    def query(self, expression):
        if not isinstance(expression, str):
            raise FtrackError("The query operation needs an 'expression' string.")
        q = Parser(self.schema, expression).query()
        rows = [r for r in self.all(q["type"]) if q["where"] is None or self.matches(r, q["where"])]
        for path, desc in reversed(q["order"]):
            def sort_key(r, path=path):
                v = next(iter(self.values(r, path)), None)
                v = v.get("id") if isinstance(v, dict) else v
                return (v is None, "" if v is None else v)  # NULLs last, first when descending
            rows.sort(key=sort_key, reverse=desc)
        total = len(rows)
        start = q["offset"]
        end = total if q["limit"] is None else min(total, start + q["limit"])
        page = rows[start:end]
        tree = self.tree(q["select"] or self.schema.types[q["type"]]["default_projections"])
        seen = {}
        data = [self.serialize(r, tree, seen) for r in page]
        return {"action": "query", "data": data,
                "metadata": {"next": {"offset": end if q["limit"] is not None and end < total else None}}}

    def check_value(self, t, attr, v):
        p = self.schema.props(t)[attr]
        if v is None:
            return None
        typ = p.get("type")
        ok = {"string": isinstance(v, str), "integer": isinstance(v, int) and not isinstance(v, bool),
              "number": isinstance(v, (int, float)) and not isinstance(v, bool),
              "boolean": isinstance(v, bool)}.get(typ, True)
        if not ok:
            raise FtrackError(f"Invalid value for '{attr}' on '{t}': expected {typ}, got {json.dumps(encode(v))}.")
        if "enum" in p and v not in p["enum"]:
            raise FtrackError(f"Invalid value for '{attr}' on '{t}': {json.dumps(v)} is none of {p['enum']}.")
        if p.get("format") == "date-time":
            try:
                datetime.datetime.fromisoformat(v)
            except ValueError:
                raise FtrackError(f"Invalid datetime for '{attr}' on '{t}': '{v}'.") from None
            return DT(v)
        return v

    def apply(self, t, rec, data, creating):
        """Sets entity_data on rec; answers the metadata mapping, if any."""
        if not isinstance(data, dict):
            raise FtrackError(f"entity_data for '{t}' must be an object.")
        schema, metadata = self.schema, None
        immutable = set(schema.types[t].get("immutable", []))
        for attr, raw in data.items():
            if attr == "__entity_type__":
                continue
            if attr not in schema.props(t):
                raise FtrackError(f"Unknown attribute '{attr}' on '{t}'.")
            v = decode(raw)
            if not creating and attr in immutable:
                raise FtrackError(f"Attribute '{attr}' on '{t}' is immutable.")
            kind = schema.kind(t, attr)
            if attr == "metadata" and isinstance(v, dict):
                metadata = v
            elif kind == "many":
                raise FtrackError(f"Cannot set collection '{attr}' on '{t}' directly; "
                                  f"create the '{schema.target(t, attr)}' entities instead.")
            elif kind == "one":
                if v is not None and not (isinstance(v, dict) and "id" in v):
                    raise FtrackError(f"Invalid value for relation '{attr}' on '{t}': expected "
                                      '{"__entity_type__": …, "id": …} or null.')
                rec[schema.fk(t, attr)] = None if v is None else v["id"]
            elif attr in schema.types[t].get("computed", []) or attr in ("link", "_link", "is_latest_version"):
                raise FtrackError(f"Attribute '{attr}' on '{t}' is computed and cannot be set.")
            else:
                rec[attr] = self.check_value(t, attr, v)
        return metadata

    def complete(self, t, rec):
        """Server-side values ftrack fills in on create."""
        schema, props = self.schema, self.schema.props(t)
        for attr, p in props.items():
            if "default" in p and rec.get(attr) is None and schema.kind(t, attr) == "scalar":
                rec[attr] = str(uuid.uuid4()) if p["default"] == "{uid}" else p["default"]
        if schema.is_a(t, "Context"):
            rec.setdefault("created_at", now())
            rec.setdefault("created_by_id", self.user_id)
        if t == "Project":
            rec["context_type"] = "show"
            rec.setdefault("status", "active")
            rec.setdefault("full_name", rec.get("name"))
        elif t in schema.object_type_of:
            rec["context_type"] = "task" if t == "Task" else "context"
            rec["object_type_id"] = schema.object_type_of[t]
            for a in ("bid", "sort"):
                rec.setdefault(a, 0)
            if rec.get("status_id") is None:
                rec["status_id"] = self.default_status
        elif t == "AssetVersion":
            if rec.get("version") is None:
                rec["version"] = 1 + max([v.get("version") or 0 for v in self.all("AssetVersion")
                                          if v.get("asset_id") == rec.get("asset_id")], default=0)
            rec.setdefault("date", now())
            rec.setdefault("user_id", self.user_id)
            if rec.get("status_id") is None:
                rec["status_id"] = self.default_status
        elif t in ("FileComponent", "SequenceComponent", "ContainerComponent"):
            rec.setdefault("system_type", {"FileComponent": "file", "SequenceComponent": "sequence",
                                           "ContainerComponent": "container"}[t])
        elif t == "User":
            rec.setdefault("is_active", True)
            rec.setdefault("resource_type", "user")

    def constrain(self, t, rec):
        schema, props = self.schema, self.schema.props(t)
        if t in schema.object_type_of:
            parent = self.get("Context", rec.get("parent_id"))
            if parent is None:
                raise FtrackError(f"A '{t}' needs a parent: 'parent_id' {json.dumps(rec.get('parent_id'))} "
                                  "is no Project or TypedContext.")
            rec["project_id"] = parent["id"] if parent["__entity_type__"] == "Project" else parent.get("project_id")
        lenient = {"type_id"} if t in schema.object_type_of else set()
        for attr in schema.types[t].get("required", []):
            if attr in props and schema.kind(t, attr) == "scalar" and rec.get(attr) is None and attr not in lenient:
                raise FtrackError(f"Missing required attribute '{attr}' on '{t}'.")
        for attr, p in props.items():
            if "$ref" in p and "items" not in p and not (t == "Asset" and attr == "latest_version"):
                fk = schema.fk(t, attr)
                if rec.get(fk) is not None and self.get(p["$ref"], rec[fk]) is None:
                    raise FtrackError(f"No '{p['$ref']}' with id '{rec[fk]}' for '{attr}' of '{t}' ('{fk}').")
        others = [r for r in self.all(t if not schema.is_a(t, "Context") else "Context") if r is not rec]
        if schema.is_a(t, "Context"):
            if any(r.get("parent_id") == rec.get("parent_id") and r.get("name") == rec.get("name") for r in others):
                raise FtrackError(f"The name '{rec.get('name')}' is already used by another context with the "
                                  f"same parent ('{t}', parent_id {json.dumps(rec.get('parent_id'))}).")
        elif t == "Asset":
            if any(all(r.get(a) == rec.get(a) for a in ("context_id", "type_id", "name")) for r in others):
                raise FtrackError(f"An Asset named '{rec.get('name')}' of this type already exists "
                                  f"in context '{rec.get('context_id')}'.")
        elif t == "User":
            if any(r.get("username") == rec.get("username") for r in others):
                raise FtrackError(f"A User with username '{rec.get('username')}' already exists.")

    def set_metadata(self, t, rec, mapping):
        for k, v in mapping.items():
            if not isinstance(v, str):
                raise FtrackError(f"Invalid metadata value for key '{k}' on '{t}': expected string.")
            m = self.get("Metadata", (rec["id"], k))
            if m is None:
                self.insert({"__entity_type__": "Metadata", "parent_id": rec["id"], "key": k,
                             "value": v, "parent_type": t})
            else:
                m["value"] = v

    def check_entity_type(self, op):
        t = op.get("entity_type")
        if not isinstance(t, str):
            raise FtrackError(f"The {op.get('action')} operation needs an 'entity_type' string.")
        self.schema.check_type(t)
        return t

    def find(self, op):
        t = self.check_entity_type(op)
        key = op.get("entity_key")
        if not isinstance(key, list) or len(key) != len(self.schema.pk(t)):
            raise FtrackError(f"'entity_key' of {op.get('action')} must be a list of the primary key "
                              f"{self.schema.pk(t)} of '{t}'.")
        rec = self.get(t, tuple(key))
        if rec is None:
            raise FtrackError(f"No '{t}' with primary key {key} exists.")
        return rec

    def create(self, op):
        t = self.check_entity_type(op)
        if t in self.schema.subtypes:
            raise FtrackError(f"Cannot create an entity of the abstract type '{t}'; "
                              f"use one of {self.schema.concretes(t)}.")
        rec = {"__entity_type__": t}
        metadata = self.apply(t, rec, op.get("entity_data", {}), True)
        self.complete(t, rec)
        self.constrain(t, rec)
        self.insert(rec)
        if metadata:
            self.set_metadata(t, rec, metadata)
        return {"action": "create", "data": self.scalars(rec)}

    def update(self, op):
        rec = self.find(op)
        t = rec["__entity_type__"]
        old = dict(rec)
        metadata = self.apply(t, rec, op.get("entity_data", {}), False)
        if self.key(t, rec) != self.key(t, old):
            raise FtrackError(f"The primary key of '{t}' cannot change.")
        moved = rec.get("parent_id") != old.get("parent_id") and t in self.schema.object_type_of
        if moved and rec.get("parent_id") in [rec["id"]] + [d["id"] for d in self.many(rec, "descendants")]:
            raise FtrackError(f"Cannot move '{t}' '{rec.get('name')}' under itself or one of its descendants.")
        self.constrain(t, rec)
        if moved:
            for d in self.many(rec, "descendants"):
                d["project_id"] = rec["project_id"]
        if metadata:
            self.set_metadata(t, rec, metadata)
        return {"action": "update", "data": self.scalars(rec)}

    def delete(self, op):
        rec = self.find(op)
        self.remove(rec)
        return {"action": "delete", "data": True}

    def remove(self, rec):
        t = rec["__entity_type__"]
        for attr, p in self.schema.props(t).items():
            if "items" in p and (attr in CASCADE or attr == "metadata"):
                for child in self.many(rec, attr):
                    self.remove(child)
        for base, link_type in LINKS.items():
            if self.schema.is_a(t, base):
                for link in self.all(link_type):
                    if rec["id"] in (link.get("from_id"), link.get("to_id")):
                        self.remove(link)
        if self.schema.is_a(t, "Component"):
            for other in self.rows.values():
                if other.get("thumbnail_id") == rec["id"]:
                    other["thumbnail_id"] = None
        self.rows.pop(self.key(t, rec), None)

    def get_upload_metadata(self, op, base_url):
        """The signed URL and headers of one single-part upload."""
        component_id, name, size = op.get("component_id"), op.get("file_name"), op.get("file_size")
        checksum = op.get("checksum")
        if not isinstance(component_id, str) or self.get("FileComponent", component_id) is None:
            raise FtrackError(f"get_upload_metadata: no FileComponent with id {json.dumps(component_id)}.")
        if not isinstance(name, str) or not name:
            raise FtrackError("get_upload_metadata needs a 'file_name' string.")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise FtrackError("get_upload_metadata needs a 'file_size' in bytes.")
        if checksum is not None and not isinstance(checksum, str):
            raise FtrackError("get_upload_metadata: 'checksum' must be the base64 MD5 digest of the file.")
        if op.get("parts") is not None:
            raise FtrackError("Multi-part uploads are not supported by this fake server.")
        headers = {"Content-Type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                   "Content-Length": str(size)}
        if checksum is not None:
            headers["Content-MD5"] = checksum
        signature = uuid.uuid4().hex
        self.signed[signature] = {"component_id": component_id, "file_name": name, "size": size,
                                  "headers": headers}
        return {"url": f"{base_url}/storage/{component_id}?signature={signature}", "headers": headers,
                "component_id": component_id}

    # -- seed
    def add(self, t, **attrs):
        rec = {"__entity_type__": t, **attrs}
        self.complete(t, rec)
        self.insert(rec)
        return rec

    def seed(self):
        self.user_id = seed_id("User", self.user)
        self.add("User", id=self.user_id, username=self.user, first_name=self.user.capitalize(),
                 last_name="", email=f"{self.user}@example.com", is_otp_enabled=False, is_totp_enabled=False,
                 require_details_update=False)
        flags = {"Task": (True, False), "Milestone": (True, False), "Folder": (False, False)}
        for i, (t, ot) in enumerate(sorted(self.schema.object_type_of.items())):
            statusable, taskable = flags.get(t, (True, True))
            self.add("ObjectType", id=ot, name=re.sub(r"(?<!^)([A-Z])", r" \1", t), sort=i, icon=t.lower(),
                     is_leaf=t in ("Task", "Milestone"), is_taskable=taskable, is_statusable=statusable,
                     is_typeable=t == "Task", is_time_reportable=t == "Task", is_schedulable=t in ("Task", "Milestone"))
        states = {}
        for name, short in (("Not started", "NOT_STARTED"), ("In progress", "IN_PROGRESS"),
                            ("Done", "DONE"), ("Blocked", "BLOCKED")):
            states[short] = self.add("State", id=seed_id("State", short), name=name, short=short)["id"]
        for i, (name, state, color) in enumerate((
                ("Not started", "NOT_STARTED", "#CCCCCC"), ("Ready", "NOT_STARTED", "#FFCC00"),
                ("In progress", "IN_PROGRESS", "#3498DB"), ("Pending Review", "IN_PROGRESS", "#FF9900"),
                ("Approved", "DONE", "#1CBC90"), ("On Hold", "BLOCKED", "#E74C3C"),
                ("Omitted", "BLOCKED", "#7F8C8D"))):
            self.add("Status", id=seed_id("Status", name), name=name, sort=i, color=color, is_active=True,
                     _state_id=states[state])
        self.default_status = seed_id("Status", "Not started")
        prio_default = self.schema.props("Task")["priority_id"].get("default")
        for i, name in enumerate(("None", "Low", "Medium", "High", "Urgent")):
            self.add("Priority", id=prio_default if name == "Medium" and prio_default else seed_id("Priority", name),
                     name=name, sort=i, value=i, color=["#CCCCCC", "#2ECC71", "#F1C40F", "#E67E22", "#E74C3C"][i])
        for i, name in enumerate(("Modeling", "Rigging", "Animation", "Lighting", "Compositing", "Layout",
                                  "FX", "Lookdev")):
            self.add("Type", id=seed_id("Type", name), name=name, sort=i)
        for name, short in (("Geometry", "geo"), ("Rig", "rig"), ("Camera", "cam"), ("Animation", "anim"),
                            ("Render", "render"), ("Comp", "comp"), ("Model", "model"), ("Upload", "upload")):
            self.add("AssetType", id=seed_id("AssetType", name), name=name, short=short)
        self.add("ProjectSchema", id=seed_id("ProjectSchema", "VFX Scheme"), name="VFX Scheme")
        for name, label in (("ftrack.server", "ftrack server"), ("ftrack.unmanaged", "Unmanaged")):
            self.add("Location", id=LOCATION_IDS[name], name=name, label=label,
                     description=f"The {label} location.")


# ---------------------------------------------------------------- HTTP

class Fake:
    def __init__(self, fixtures, user, key):
        self.fixtures, self.user, self.key = fixtures, user, key
        with open(os.path.join(fixtures, "query_schemas.json"), encoding="utf-8") as f:
            self.schemas_text = f.read()
        with open(os.path.join(fixtures, "query_server_information.json"), encoding="utf-8") as f:
            self.info_text = f.read()
        self.schema = Schema(json.loads(self.schemas_text))
        self.lock = threading.Lock()       # one transaction at a time
        self.control = threading.Lock()    # the log and the test controls
        self.log, self.fail_status, self.fail_count, self.delay_ms = [], 503, 0, 0
        self.fail_method, self.delay_every, self.race = None, False, None
        self.uploads = []                  # the files PUT to the storage, in order
        self.store = Store(self.schema, user)

    def reset(self):
        with self.lock, self.control:
            self.store = Store(self.schema, self.user)
            self.log, self.fail_count, self.delay_ms, self.delay_every = [], 0, 0, False
            self.fail_method, self.race, self.uploads = None, None, []

    def run(self, ops, base_url):
        with self.control:
            race = self.race
            if race is not None and any(isinstance(op, dict) and op.get("action") == "create" and
                                        op.get("entity_type") == race["before_create"] for op in ops):
                self.race = None
            else:
                race = None
        if race is not None:
            try:
                self.transaction(race["operations"], base_url)
            except FtrackError as e:  # a mistake of the test: not the client's error
                raise RuntimeError(f"the operations of /_fake/race failed: {e}") from None
        return self.transaction(ops, base_url)

    def transaction(self, ops, base_url):
        with self.lock:
            store = self.store
            saved = {k: dict(v) for k, v in store.rows.items()}
            signed = dict(store.signed)
            try:
                results = []
                for i, op in enumerate(ops):
                    if not isinstance(op, dict):
                        raise FtrackError(f"Operation {i} is not an object.")
                    action = op.get("action")
                    if action == "query_server_information":
                        results.append(Raw(self.info_text))
                    elif action == "query_schemas":
                        results.append(Raw(self.schemas_text))
                    elif action == "query":
                        results.append(store.query(op.get("expression")))
                    elif action in ("create", "update", "delete"):
                        results.append(getattr(store, action)(op))
                    elif action == "get_upload_metadata":
                        results.append(store.get_upload_metadata(op, base_url))
                    else:
                        raise FtrackError(f"Unknown or unsupported action {json.dumps(action)} (operation {i}).")
                return results
            except BaseException:
                store.rows, store.signed = saved, signed
                raise

    def store_upload(self, component_id, signature, headers, data):
        """Keeps the bytes of a signed PUT; the HTTP status and reason."""
        with self.lock:
            slot = self.store.signed.get(signature)
            if slot is None or slot["component_id"] != component_id:
                return 403, "The request signature does not match: no upload was signed for this URL."
            for name, value in slot["headers"].items():
                if name != "Content-Length" and headers.get(name) != value:
                    return 403, f"The signed header {name} is {json.dumps(value)}, not {json.dumps(headers.get(name))}."
            if len(data) != slot["size"]:
                return 400, f"The body has {len(data)} bytes; {slot['size']} were announced."
            digest = base64.b64encode(hashlib.md5(data).digest()).decode()
            if "Content-MD5" in slot["headers"] and digest != slot["headers"]["Content-MD5"]:
                return 400, "BadDigest: the Content-MD5 is not the MD5 digest of the body."
            del self.store.signed[signature]
        with self.control:
            self.uploads.append({"component_id": component_id, "file_name": slot["file_name"],
                                 "content_type": headers.get("Content-Type"), "size": len(data), "md5": digest,
                                 "data": base64.b64encode(data).decode()})
        return 200, "OK"


def error_body(exception, content):
    return json.dumps({"exception": exception, "content": content, "error_code": None}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = None

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout of a delayed request)

    def answer(self, status, body, content_type="application/json", headers=()):
        entry = getattr(self, "entry", None)
        if entry is not None:
            entry["finished"] = time.monotonic()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def base_url(self):
        return f"http://{self.headers.get('Host') or '127.0.0.1:%d' % self.server.server_address[1]}"

    def logged(self, method, headers, **fields):
        """Logs the request; answers the status to fail it with, and waits out a delay."""
        fake = self.fake
        entry = {"method": method, "path": self.path, "headers": {h: self.headers.get(h) for h in headers},
                 "operations": None, "status": None, "started": time.monotonic(), "finished": None, **fields}
        self.entry = entry
        with fake.control:
            fake.log.append(entry)
            delay = fake.delay_ms
            if not fake.delay_every:
                fake.delay_ms = 0
            failing = fake.fail_count > 0 and fake.fail_method in (None, method)
            if failing:
                fake.fail_count -= 1
            status = fake.fail_status
        if delay:
            time.sleep(delay / 1000)
        return status if failing else None

    def do_GET(self):
        if self.path == "/_fake/requests":
            with self.fake.control:
                return self.answer(200, json.dumps(self.fake.log).encode())
        if self.path == "/_fake/uploads":
            with self.fake.control:
                return self.answer(200, json.dumps(self.fake.uploads).encode())
        self.answer(404, error_body("ServerError", f"No route GET {self.path}."))

    def do_PUT(self):
        fake, raw = self.fake, self.body()
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        if len(parts) != 3 or parts[1] != "storage" or not parts[2]:
            return self.answer(404, error_body("ServerError", f"No route PUT {url.path}."))
        failing = self.logged("PUT", ("Content-Type", "Content-Length", "Content-MD5", "ftrack-user",
                                      "ftrack-api-key"), size=len(raw))
        if failing is not None:
            self.entry["status"] = failing
            return self.answer(failing, f"The storage responded with {failing}.".encode(), "text/plain")
        signature = urllib.parse.parse_qs(url.query).get("signature", [""])[0]
        status, reason = fake.store_upload(parts[2], signature, self.headers, raw)
        self.entry["status"] = status
        etag = ((("ETag", '"' + hashlib.md5(raw).hexdigest() + '"'),) if status == 200 else ())
        self.answer(status, b"" if status == 200 else reason.encode(), "text/plain", etag)

    def do_POST(self):
        fake, raw = self.fake, self.body()
        if self.path.startswith("/_fake/"):
            try:
                args = json.loads(raw or b"{}")
            except ValueError:
                return self.answer(400, error_body("ValueError", "The body is not JSON."))
            if self.path == "/_fake/reset":
                fake.reset()
            elif self.path == "/_fake/fail":
                with fake.control:
                    fake.fail_status, fake.fail_count = int(args.get("status", 503)), int(args.get("count", 1))
                    fake.fail_method = args.get("method")
            elif self.path == "/_fake/delay":
                with fake.control:
                    fake.delay_ms = int(args.get("ms", 0))
                    fake.delay_every = bool(args.get("every", False))
            elif self.path == "/_fake/race":
                if not isinstance(args.get("before_create"), str) or not isinstance(args.get("operations"), list):
                    return self.answer(400, error_body("ValueError", "A race needs \"before_create\" (an entity "
                                                                     "type) and \"operations\" (a list)."))
                with fake.control:
                    fake.race = {"before_create": args["before_create"], "operations": args["operations"]}
            else:
                return self.answer(404, error_body("ServerError", f"No route POST {self.path}."))
            return self.answer(200, b'{"ok": true}')
        if self.path.split("?")[0] != "/api":
            return self.answer(404, error_body("ServerError", f"No route POST {self.path}."))
        try:
            ops = json.loads(raw)
        except ValueError:
            ops = None
        failing = self.logged("POST", ("ftrack-user", "ftrack-api-key", "Content-Type"), operations=ops)
        entry = self.entry
        if failing is not None:
            entry["status"] = failing
            return self.answer(failing, error_body("ServerError", f"The server responded with {failing}."))
        if self.headers.get("ftrack-user") != fake.user or self.headers.get("ftrack-api-key") != fake.key:
            entry["status"] = 401
            return self.answer(401, error_body("ServerError", "The server responded with 401: Not authorized."))
        entry["status"] = 200
        if not isinstance(ops, list):
            return self.answer(200, error_body("ValueError", "The request body must be a JSON list of operations."))
        try:
            results = fake.run(ops, self.base_url())
        except FtrackError as e:
            return self.answer(200, error_body("ValueError", str(e)))
        except Exception as e:  # a bug of the fake: say so, as a server error
            entry["status"] = 500
            return self.answer(500, error_body("ServerError", f"Internal error of the fake server: {e!r}"))
        parts = [r.text if isinstance(r, Raw) else json.dumps(r) for r in results]
        self.answer(200, ("[" + ", ".join(parts) + "]").encode())


def main(argv=None):
    ap = argparse.ArgumentParser(description="A fake ftrack server on 127.0.0.1.")
    ap.add_argument("--fixtures", required=True, help="folder of the recorded ftrack answers")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", help="write the port here instead of stdout")
    a = ap.parse_args(argv)
    Handler.fake = Fake(a.fixtures, a.user, a.key)
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    port = server.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, a.port_file)
    else:
        print(port, flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
