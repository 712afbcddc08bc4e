#!/usr/bin/python3
"""check.py -- deploy/k8s checked without a cluster (CI has none).

    check.py [--wsgate BIN] [--mutations] [--root DIR]

Renders deploy/k8s/base and the deploy/k8s/tls overlay as kustomize does
for what they use (resources, images, secretGenerator from files,
JSON 6902 add/replace patches), with a throwaway certificate, key and
ticket key for the overlay's Secret, and checks what a cluster would only
show at run time:

  - every document parses (python3-yaml; a key given twice is an error),
    its apiVersion/kind is known, and the pod, container, probe and
    security fields are real field names (a misspelt one is silently
    dropped by older API servers);
  - selectors (Deployment, Service, PodDisruptionBudget, the spread
    constraint) select the pod template's labels; the autoscaler scales
    this Deployment; the budget leaves the Deployment room to move;
  - ports: the container ports are wsgate.ini's listen ports (and the
    image's EXPOSE), the Service's targetPorts name container ports, the
    probes ask health_path on a container port;
  - the configuration the container's args name is laid out as the
    kubelet lays out the projected volume (the ..data symlinks, each
    item's mode, fsGroup's group bits) and passes `wsgate -t` on its real
    content, routes and keys; every ConfigMap key is mounted;
  - the image is docker/Dockerfile's (name, numeric USER = runAsUser),
    runAsNonRoot, read-only root filesystem, no privilege escalation,
    every capability dropped, seccomp RuntimeDefault, only "safe"
    sysctls; requests and limits for CPU and memory; workers fits the
    CPU limit;
  - terminationGracePeriodSeconds exceeds preStop + drain_timeout +
    2 x close_timeout + 1 s, the longest wsgate takes to exit on SIGTERM;
  - with `kubectl kustomize` at hand (kustomize v3 or later), its
    rendering of both is the same as this one (skipped otherwise);
  - live: wsgate started on the base pod's volume (its listen port moved
    to a free loopback one) passes its readiness and liveness probes as
    written; a ConfigMap update as the kubelet makes it (new directory,
    ..data renamed over) reaches the token route without SIGHUP, and
    SIGHUP loads the new route; from
    SIGTERM on the readiness probe fails while wsgate drains.

--mutations breaks a temporary copy of deploy/k8s in several ways and
checks that each is caught (a check that cannot fail is a defect).
Prints "ok ..."/"FAIL ..." lines and "RESULT k8s: N passed, N failed".
"""

import argparse
import base64
import copy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

KNOWN_KINDS = {
    ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"),
    ("apps/v1", "Deployment"), ("policy/v1", "PodDisruptionBudget"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
}

# Field names of the API objects these manifests use (Kubernetes 1.32).
FIELDS = {
    "pod": """activeDeadlineSeconds affinity automountServiceAccountToken
        containers dnsConfig dnsPolicy enableServiceLinks ephemeralContainers
        hostAliases hostIPC hostNetwork hostPID hostUsers hostname
        imagePullSecrets initContainers nodeName nodeSelector os overhead
        preemptionPolicy priority priorityClassName readinessGates
        resourceClaims resources restartPolicy runtimeClassName
        schedulerName schedulingGates securityContext serviceAccount
        serviceAccountName setHostnameAsFQDN shareProcessNamespace subdomain
        terminationGracePeriodSeconds tolerations topologySpreadConstraints
        volumes""",
    "container": """args command env envFrom image imagePullPolicy lifecycle
        livenessProbe name ports readinessProbe resizePolicy resources
        restartPolicy securityContext startupProbe stdin stdinOnce
        terminationMessagePath terminationMessagePolicy tty volumeDevices
        volumeMounts workingDir""",
    "probe": """exec failureThreshold grpc httpGet initialDelaySeconds
        periodSeconds successThreshold tcpSocket
        terminationGracePeriodSeconds timeoutSeconds""",
    "podsec": """appArmorProfile fsGroup fsGroupChangePolicy runAsGroup
        runAsNonRoot runAsUser seLinuxChangePolicy seLinuxOptions
        seccompProfile supplementalGroups supplementalGroupsPolicy sysctls
        windowsOptions""",
    "sec": """allowPrivilegeEscalation appArmorProfile capabilities privileged
        procMount readOnlyRootFilesystem runAsGroup runAsNonRoot runAsUser
        seLinuxOptions seccompProfile windowsOptions""",
    "handler": "exec httpGet sleep tcpSocket",
    "deployspec": """minReadySeconds paused progressDeadlineSeconds replicas
        revisionHistoryLimit selector strategy template""",
    "port": "containerPort hostIP hostPort name protocol",
    "mount": """mountPath mountPropagation name readOnly recursiveReadOnly
        subPath subPathExpr""",
    "resources": "claims limits requests",
}
FIELDS = {k: set(v.split()) for k, v in FIELDS.items()}
# Namespaced sysctls the kubelet allows without --allowed-unsafe-sysctls.
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}


class Checks:
    def __init__(self, quiet=False):
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.quiet = quiet

    def ok(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            if not self.quiet:
                print("ok   " + what)
        else:
            self.failed += 1
            self.failures.append(what + (": " + detail if detail else ""))
            if not self.quiet:
                print("FAIL " + self.failures[-1])
        return cond


# ------------------------------------------------------------ rendering

class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML
    keeps the last one silently; the API server's decoder refuses it)."""


def _mapping(loader, node, deep=False):
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "key %r given twice" % (key,), k.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.load_all(f, Loader=StrictLoader)
                if d is not None]


def pointer(doc, path):
    """(parent, key) for a JSON pointer (RFC 6901); '-' appends."""
    parts = [p.replace("~1", "/").replace("~0", "~")
             for p in path.lstrip("/").split("/")]
    cur = doc
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur[p]
    return cur, parts[-1]


def json_patch(doc, ops):
    for op in ops:
        parent, key = pointer(doc, op["path"])
        if op["op"] not in ("add", "replace"):
            raise ValueError("patch op %s: not modelled here" % op["op"])
        if isinstance(parent, list):
            if key == "-":
                parent.append(copy.deepcopy(op["value"]))
            elif op["op"] == "add":
                parent.insert(int(key), copy.deepcopy(op["value"]))
            else:
                parent[int(key)] = copy.deepcopy(op["value"])
        else:
            if op["op"] == "replace" and key not in parent:
                raise KeyError("replace %s: no such member" % op["path"])
            parent[key] = copy.deepcopy(op["value"])


def render(kdir):
    """The objects `kubectl kustomize kdir` makes, for the features used."""
    kpath = os.path.join(kdir, "kustomization.yaml")
    k = load_docs(kpath)[0]
    known = {"apiVersion", "kind", "resources", "images", "secretGenerator",
             "generatorOptions", "patches"}
    extra = set(k) - known
    if extra:
        raise ValueError("%s: %s not modelled by this check" %
                         (kpath, sorted(extra)))
    objs = []
    for r in k.get("resources", []):
        p = os.path.normpath(os.path.join(kdir, r))
        if os.path.isdir(p):
            objs += render(p)
        else:
            objs += load_docs(p)
    for g in k.get("secretGenerator", []):
        data = {}
        for f in g.get("files", []):
            key, _, src = f.partition("=")
            with open(os.path.join(kdir, src or key), "rb") as fh:
                data[key] = base64.b64encode(fh.read()).decode()
        if not k.get("generatorOptions", {}).get("disableNameSuffixHash"):
            raise ValueError("secretGenerator with a name hash: not "
                             "modelled by this check")
        objs.append({"apiVersion": "v1", "kind": "Secret",
                     "metadata": {"name": g["name"]},
                     "type": g.get("type", "Opaque"), "data": data})
    for p in k.get("patches", []):
        t = p["target"]
        hit = [o for o in objs if o["kind"] == t["kind"] and
               o["metadata"]["name"] == t["name"]]
        if not hit:
            raise ValueError("patch target %s/%s: no such object" %
                             (t["kind"], t["name"]))
        for o in hit:
            json_patch(o, yaml.safe_load(p["patch"]))
    for im in k.get("images", []):
        for o in objs:
            for c in containers(o):
                name, tag = split_image(c.get("image", ""))
                if name == im["name"]:
                    c["image"] = im.get("newName", name) + ":" + \
                        str(im.get("newTag", tag or "latest"))
    return objs


def containers(o):
    if o.get("kind") != "Deployment":
        return []
    spec = o["spec"]["template"]["spec"]
    return spec.get("containers", []) + spec.get("initContainers", [])


def split_image(image):
    name, _, tag = image.rpartition(":")
    if "/" in tag or not name:
        return image, ""
    return name, tag


def by_kind(objs, kind):
    return [o for o in objs if o.get("kind") == kind]


# ------------------------------------------------------------ wsgate.ini

def ini_parse(text):
    """{section: {key: [values]}}: wsgate's INI as far as these checks
    read it (repeated keys kept, ';' and '#' comments)."""
    out, sec = {}, None
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in ";#":
            continue
        m = re.match(r"\[(.*)\]$", s)
        if m:
            sec = out.setdefault(m.group(1), {})
            continue
        key, _, value = s.partition("=")
        if sec is not None:
            sec.setdefault(key.strip(), []).append(value.strip())
    return out


def seconds(text):
    """A wsgate duration (20, 90s, 5m, 1h30m, 500ms) in seconds."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total, units = 0.0, {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": .001}
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)", text):
        total += float(num) * units[unit]
    return total


# ------------------------------------------------------------ the volume

def volume_files(pod, volume, objs):
    """[(path in the volume, bytes, mode)] as the kubelet writes them;
    None where a source the pod needs is missing."""
    fs_group = pod.get("securityContext", {}).get("fsGroup")
    out = []
    if "projected" in volume:
        default = volume["projected"].get("defaultMode", 0o644)
        sources = volume["projected"]["sources"]
    else:
        src = {k: v for k, v in volume.items() if k in ("configMap",
                                                       "secret")}
        sources = [src]
        default = next(iter(src.values())).get("defaultMode", 0o644)
    for s in sources:
        kind, ref = next((k, v) for k, v in s.items()
                         if k in ("configMap", "secret"))
        name = ref.get("name", ref.get("secretName"))
        obj = next((o for o in objs if o["kind"] ==
                    ("ConfigMap" if kind == "configMap" else "Secret") and
                    o["metadata"]["name"] == name), None)
        if obj is None:
            if ref.get("optional"):
                continue
            return None
        if kind == "configMap":
            data = {k: v.encode() for k, v in obj.get("data", {}).items()}
        else:
            data = {k: base64.b64decode(v) for k, v in
                    obj.get("data", {}).items()}
            data.update({k: v.encode() for k, v in
                         obj.get("stringData", {}).items()})
        items = ref.get("items") or [{"key": k, "path": k} for k in data]
        for it in items:
            if it["key"] not in data:
                if ref.get("optional"):
                    continue
                return None
            mode = it.get("mode", ref.get("defaultMode", default))
            if fs_group is not None:
                mode |= 0o440	# the kubelet's read-only volume ownership
            out.append((it["path"], data[it["key"]], mode))
    return out


def lay_out(root, mount, files):
    """Files as the kubelet's atomic writer leaves them: a timestamped
    directory, ..data pointing at it, and a symlink per top-level name."""
    top = os.path.join(root, mount.lstrip("/"))
    data = os.path.join(top, "..2026_01_01_00_00_00.000000001")
    os.makedirs(data, exist_ok=True)
    os.symlink(os.path.basename(data), os.path.join(top, "..data"))
    firsts = set()
    for path, content, mode in files:
        full = os.path.join(data, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content)
        os.chmod(full, mode)
        firsts.add(path.split("/")[0])
    for name in firsts:
        os.symlink(os.path.join("..data", name), os.path.join(top, name))
    return top


# ------------------------------------------------------------ the checks

def dockerfile_facts():
    path = os.path.join(ROOT, "docker", "Dockerfile")
    with open(path) as f:
        text = f.read()
    m = re.search(r"docker build -f docker/Dockerfile -t (\S+) \.", text)
    user = re.findall(r"(?m)^USER\s+(\S+)", text)
    expose = re.findall(r"(?m)^EXPOSE\s+(.+)$", text)
    base = re.findall(r"(?m)^FROM\s+(\S+)\s+AS\s+runtime", text)
    return {"image": m.group(1) if m else None,
            "user": user[-1] if user else None,
            "expose": expose[-1].split() if expose else [],
            "base": base[0] if base else None}


def check_fields(c, obj, fields, where):
    bad = sorted(set(obj) - FIELDS[fields])
    c.ok(not bad, "%s: known field names" % where, "unknown %s" % bad)


def label_match(sel, labels):
    return bool(sel) and all(labels.get(k) == v for k, v in sel.items())


def check_render(c, name, objs, wsgate, tmp):
    """Every check of one rendering (base, or an overlay)."""
    for o in objs:
        c.ok((o.get("apiVersion"), o.get("kind")) in KNOWN_KINDS and
             o.get("metadata", {}).get("name"),
             "%s: %s/%s: known apiVersion and kind, named" %
             (name, o.get("apiVersion"), o.get("kind")))
    deps = by_kind(objs, "Deployment")
    if not c.ok(len(deps) == 1, "%s: one Deployment" % name, str(len(deps))):
        return
    dep = deps[0]
    check_fields(c, dep["spec"], "deployspec", name + ": Deployment spec")
    tmpl = dep["spec"]["template"]
    pod = tmpl["spec"]
    labels = tmpl.get("metadata", {}).get("labels", {})
    check_fields(c, pod, "pod", name + ": pod spec")
    c.ok(label_match(dep["spec"]["selector"].get("matchLabels"), labels),
         "%s: the Deployment's selector matches its pod labels" % name)
    for tsc in pod.get("topologySpreadConstraints", []):
        c.ok(label_match(tsc["labelSelector"].get("matchLabels"), labels),
             "%s: the spread constraint selects the pods" % name)
    ctrs = pod.get("containers", [])
    if not c.ok(len(ctrs) == 1, "%s: one container" % name):
        return
    ctr = ctrs[0]
    check_fields(c, ctr, "container", name + ": container")
    for p in ctr.get("ports", []):
        check_fields(c, p, "port", name + ": container port")
    for m in ctr.get("volumeMounts", []):
        check_fields(c, m, "mount", name + ": volumeMount")
    check_fields(c, ctr.get("resources", {}), "resources",
                 name + ": resources")
    ports = {p.get("name"): p["containerPort"] for p in ctr.get("ports", [])}
    numbers = set(ports.values())
    docker = dockerfile_facts()

    # -- image and user: docker/Dockerfile's
    img, _ = split_image(ctr.get("image", ""))
    c.ok(img.split("/")[-1] == docker["image"], "%s: image %s is "
         "docker/Dockerfile's (%s)" % (name, ctr.get("image"),
                                     docker["image"]))
    psec = pod.get("securityContext", {})
    csec = ctr.get("securityContext", {})
    check_fields(c, psec, "podsec", name + ": pod securityContext")
    check_fields(c, csec, "sec", name + ": container securityContext")
    uid = (docker["user"] or "").split(":")[0]
    c.ok(psec.get("runAsNonRoot") is True and
         str(psec.get("runAsUser")) == uid and uid not in ("", "0"),
         "%s: runAsNonRoot, runAsUser %s = the image's USER %s" %
         (name, psec.get("runAsUser"), docker["user"]))
    c.ok(csec.get("readOnlyRootFilesystem") is True and
         csec.get("allowPrivilegeEscalation") is False and
         csec.get("privileged") is not True and
         csec.get("capabilities", {}).get("drop") == ["ALL"] and
         not csec.get("capabilities", {}).get("add"),
         "%s: read-only root filesystem, no privilege escalation, every "
         "capability dropped" % name, str(csec))
    seccomp = csec.get("seccompProfile", psec.get("seccompProfile", {}))
    c.ok(seccomp.get("type") == "RuntimeDefault",
         "%s: seccomp RuntimeDefault" % name, str(seccomp))
    unsafe = [s["name"] for s in psec.get("sysctls", [])
              if s["name"] not in SAFE_SYSCTLS]
    c.ok(not unsafe, "%s: only safe sysctls (%s)" % (
        name, ", ".join(s["name"] for s in psec.get("sysctls", []))),
        "needs --allowed-unsafe-sysctls: %s" % unsafe)
    res = ctr.get("resources", {})
    c.ok(all(res.get(a, {}).get(r) for a in ("requests", "limits")
             for r in ("cpu", "memory")),
         "%s: CPU and memory requests and limits" % name, str(res))

    # -- the configuration, in the volume the kubelet makes
    args = ctr.get("args", [])
    conf = args[args.index("-c") + 1] if "-c" in args[:-1] else None
    if not c.ok(conf is not None, "%s: args name the configuration (-c)" %
                name, str(args)):
        return
    mounts = [m for m in ctr.get("volumeMounts", [])
              if conf.startswith(m["mountPath"].rstrip("/") + "/")]
    if not c.ok(len(mounts) == 1, "%s: %s is on a mounted volume" %
                (name, conf)):
        return
    mount = mounts[0]
    c.ok(mount.get("readOnly") is True and "subPath" not in mount,
         "%s: the configuration volume is read-only, not a subPath (those "
         "miss updates)" % name)
    vol = next((v for v in pod.get("volumes", [])
                if v["name"] == mount["name"]), None)
    files = volume_files(pod, vol, objs) if vol else None
    if not c.ok(files is not None, "%s: the volume's ConfigMap and Secret "
                "keys exist" % name):
        return
    for cm in by_kind(objs, "ConfigMap"):
        mounted = {it["key"] for s in vol.get("projected", {}).get(
            "sources", [vol]) for it in s.get("configMap", {}).get(
            "items", []) if s.get("configMap", {}).get("name") ==
            cm["metadata"]["name"]}
        lost = sorted(set(cm.get("data", {})) - mounted)
        c.ok(not lost, "%s: every key of ConfigMap %s is mounted" %
             (name, cm["metadata"]["name"]), "not in the volume's items: "
             "%s" % lost)
    # The kubelet's files belong to root, group fsGroup (or root): the
    # pod's user reads them through the group or "other" bits.
    gid = psec.get("fsGroup")
    unread = [p for p, _, mode in files if not (mode & 0o004 or (
        gid is not None and mode & 0o040))]
    c.ok(not unread, "%s: user %s can read every file of the volume "
         "(fsGroup %s)" % (name, psec.get("runAsUser"), gid),
         "unreadable: %s" % unread)
    root = os.path.join(tmp, name)
    top = lay_out(root, mount["mountPath"], files)
    rel = os.path.relpath(conf, mount["mountPath"])
    path = os.path.join(top, rel)
    if not c.ok(os.path.isfile(path), "%s: %s is in the volume" %
                (name, conf)):
        return
    r = subprocess.run([wsgate, "-t", "-c", path], capture_output=True,
                       text=True, timeout=30)
    out = (r.stdout + r.stderr).strip().replace(root, "")
    c.ok(r.returncode == 0, "%s: wsgate -t on %s as mounted: %s" %
         (name, conf, out.splitlines()[-1] if out else ""), out)
    with open(path) as f:
        ini = ini_parse(f.read())
    gw = ini.get("gateway", {})

    # -- ports: wsgate.ini's listeners, the image, the Service, the probes
    listen = {}
    for v in gw.get("listen", []):
        m = re.match(r"(\S+):(\d+)(\s+tls)?$", v)
        if m:
            listen[int(m.group(2))] = bool(m.group(3))
    # The metrics listener (/healthz, /readyz, /metrics): loopback only
    # unless metrics_allow names who else may connect.
    metrics = {}
    for v in gw.get("metrics_listen", []):
        for a in re.split(r"[\s,]+", v.strip()):
            m = re.match(r"(\S+):(\d+)$", a)
            if m:
                host = m.group(1).strip("[]")
                metrics[int(m.group(2))] = host in ("127.0.0.1", "::1",
                                                    "localhost")
    allow = " ".join(gw.get("metrics_allow", [])).replace(",", " ").split()
    loopback_allowed = not allow or any(
        a.startswith("127.") or a.startswith("::1") for a in allow)
    loop_only = not allow or all(a.startswith("127.") or
                                 a.startswith("::1") for a in allow)
    exposed = set(listen) | {p for p, lo in metrics.items() if not lo}
    c.ok(set(exposed) == numbers, "%s: container ports %s are wsgate.ini's "
         "listen and metrics_listen ports %s" % (name, sorted(numbers),
                                                 sorted(exposed)))
    plain = sorted(p for p, tls in listen.items() if not tls)
    c.ok(all(int(p) in listen for p in docker["expose"]) and
         docker["expose"], "%s: the image's EXPOSE %s is listened on" %
         (name, " ".join(docker["expose"])))
    for svc in by_kind(objs, "Service"):
        sel = svc["spec"].get("selector", {})
        c.ok(label_match(sel, labels), "%s: Service %s selects the pods" %
             (name, svc["metadata"]["name"]), str(sel))
        for sp in svc["spec"].get("ports", []):
            tp = sp.get("targetPort", sp["port"])
            c.ok(tp in ports or tp in numbers, "%s: Service port %s -> %s, "
                 "a container port" % (name, sp["port"], tp))
    health = (gw.get("health_path") or [None])[-1]

    def answers(kind, port, path, local):
        """What wsgate answers there, or None."""
        if port in plain and path == health:
            return "health_path %s of listener %d" % (path, port)
        if port in metrics and path in ("/healthz", "/readyz") and (
                kind != "readinessProbe" or path == "/readyz") and (
                loopback_allowed if local else not loop_only):
            return "%s of metrics listener %d" % (path, port)
        return None

    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = ctr.get(kind)
        if probe is None:
            if kind != "startupProbe":
                c.ok(False, "%s: %s present" % (name, kind))
            continue
        check_fields(c, probe, "probe", "%s: %s" % (name, kind))
        if "httpGet" in probe:
            hg = probe["httpGet"]
            port = ports.get(hg["port"], hg["port"])
            what = answers(kind, port, hg.get("path"), False)
            c.ok(what, "%s: %s GETs %s" % (name, kind, what), str(hg))
        elif "exec" in probe:
            cmd = probe["exec"]["command"]
            m = re.match(r"http://127\.0\.0\.1:(\d+)(/\S*)$",
                         cmd[2] if len(cmd) > 2 else "")
            what = answers(kind, int(m.group(1)), m.group(2), True) \
                if m and cmd[:2] == ["/usr/bin/wsgate", "--probe"] else None
            c.ok(what, "%s: %s runs wsgate --probe on %s" % (
                name, kind, what), str(cmd))
            if len(cmd) > 3:
                c.ok(seconds(cmd[3]) <= probe.get("timeoutSeconds", 1),
                     "%s: %s: --probe's timeout %s fits timeoutSeconds %s"
                     % (name, kind, cmd[3], probe.get("timeoutSeconds", 1)))
        else:
            c.ok(False, "%s: %s is httpGet or exec" % (name, kind))

    # -- termination: the grace period covers preStop and the drain
    close = [seconds(v) for sec in ini.values()
             for v in sec.get("close_timeout", [])] or [5.0]
    drain = seconds((gw.get("drain_timeout") or ["30"])[-1])
    pre = ctr.get("lifecycle", {}).get("preStop")
    pre_s = 0.0
    if pre is not None:
        check_fields(c, pre, "handler", name + ": preStop")
        if "sleep" in pre:
            pre_s = float(pre["sleep"]["seconds"])
        elif "exec" in pre:
            cmd = pre["exec"]["command"]
            if cmd[0] in ("/bin/sleep", "/usr/bin/sleep") and len(cmd) == 2:
                pre_s = seconds(cmd[1])
                c.ok(docker["base"] and docker["base"].startswith("debian:"),
                     "%s: preStop's %s is coreutils' (Essential in the "
                     "image's base %s)" % (name, cmd[0], docker["base"]))
            else:
                c.ok(False, "%s: preStop exec is a sleep" % name, str(cmd))
    need = pre_s + drain + 2 * max(close) + 1
    grace = pod.get("terminationGracePeriodSeconds", 30)
    c.ok(grace > need, "%s: terminationGracePeriodSeconds %s > preStop %g "
         "+ drain_timeout %g + 2 x close_timeout %g + 1" %
         (name, grace, pre_s, drain, max(close)))

    # -- CPU: workers against the limit
    lim = str(res.get("limits", {}).get("cpu", "0"))
    cpus = float(lim[:-1]) / 1000 if lim.endswith("m") else float(lim)
    workers = (gw.get("workers") or ["auto"])[-1]
    c.ok(workers != "auto" and 0 < int(workers) <= max(1, round(cpus)),
         "%s: workers = %s fits the CPU limit %s (auto would count the "
         "node's CPUs)" % (name, workers, lim))

    # -- the autoscaler and the budget
    for hpa in by_kind(objs, "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        c.ok(ref == {"apiVersion": "apps/v1", "kind": "Deployment",
                     "name": dep["metadata"]["name"]},
             "%s: the autoscaler scales Deployment %s" %
             (name, dep["metadata"]["name"]), str(ref))
        cpu_metric = any(m.get("resource", {}).get("name") == "cpu"
                         for m in hpa["spec"].get("metrics", []))
        c.ok(not cpu_metric or res.get("requests", {}).get("cpu"),
             "%s: CPU utilisation has a CPU request to measure against" %
             name)
        c.ok(hpa["spec"].get("minReplicas", 1) >= 2, "%s: at least 2 "
             "replicas while autoscaled" % name)
    for pdb in by_kind(objs, "PodDisruptionBudget"):
        sel = pdb["spec"]["selector"].get("matchLabels")
        c.ok(label_match(sel, labels), "%s: the disruption budget selects "
             "the pods" % name, str(sel))
        reps = dep["spec"].get("replicas", 1)
        mu = pdb["spec"].get("maxUnavailable")
        ma = pdb["spec"].get("minAvailable")
        c.ok((mu is not None and str(mu) not in ("0", "0%")) or
             (ma is not None and isinstance(ma, int) and ma < reps),
             "%s: the disruption budget lets a node drain (maxUnavailable "
             "%s, minAvailable %s, replicas %s)" % (name, mu, ma, reps))


def overlay_files(tmp_tree):
    """The throwaway files the tls overlay's secretGenerator reads."""
    tdir = os.path.join(tmp_tree, "tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    os.path.join(tdir, "tls.key"), "-out",
                    os.path.join(tdir, "tls.crt"), "-days", "2", "-subj",
                    "/CN=wsgate.test"], check=True, capture_output=True)
    with open(os.path.join(tdir, "ticket.key"), "wb") as f:
        f.write(os.urandom(80))


def check_tree(c, tree, wsgate, tmp):
    """All checks on a deploy/k8s tree; the renderings, or None."""
    out = {}
    for sub in sorted(os.listdir(tree)):
        kdir = os.path.join(tree, sub)
        if not os.path.isfile(os.path.join(kdir, "kustomization.yaml")):
            continue
        try:
            for f in sorted(os.listdir(kdir)):
                if f.endswith(".yaml"):
                    load_docs(os.path.join(kdir, f))
            k = load_docs(os.path.join(kdir, "kustomization.yaml"))[0]
            listed = {r for r in k.get("resources", [])}
            here = {f for f in os.listdir(kdir) if f.endswith(".yaml") and
                    f != "kustomization.yaml"}
            c.ok(here <= listed, "%s: kustomization.yaml lists every "
                 "manifest" % sub, "not listed: %s" % sorted(here - listed))
            objs = render(kdir)
        except (yaml.YAMLError, ValueError, KeyError, IndexError,
                OSError) as e:
            c.ok(False, "%s: parses and renders" % sub, str(e))
            continue
        c.ok(True, "%s: parses (YAML) and renders: %s" % (sub, ", ".join(
            "%s/%s" % (o["kind"], o["metadata"]["name"]) for o in objs)))
        try:
            check_render(c, sub, objs, wsgate, tmp)
        except (KeyError, IndexError, TypeError, AttributeError,
                ValueError) as e:
            # A field the checks need is missing or of the wrong type.
            c.ok(False, "%s: the manifests have the structure the checks "
                 "read" % sub, "%s: %r" % (type(e).__name__, e))
            continue
        out[sub] = objs
    c.ok({"base", "tls"} <= set(out), "renderings base and tls",
         str(sorted(out)))
    return out


def kubectl_compare(c, tree, objs):
    kubectl = shutil.which("kubectl")
    v = subprocess.run([kubectl, "version", "--client"], capture_output=True,
                       text=True) if kubectl else None
    m = re.search(r"Kustomize Version: v(\d+)", v.stdout) if v else None
    if not m or int(m.group(1)) < 3:
        print("skip kubectl kustomize comparison: %s" % (
            "no kubectl" if not kubectl else
            "its kustomize is older than v3 (%s)" %
            v.stdout.strip().replace("\n", "; ")))
        return
    key = lambda o: (o["kind"], o["metadata"]["name"])	# noqa: E731
    for sub, mine in sorted(objs.items()):
        r = subprocess.run([kubectl, "kustomize", os.path.join(tree, sub)],
                           capture_output=True, text=True, timeout=60)
        theirs = [d for d in yaml.safe_load_all(r.stdout) if d] \
            if r.returncode == 0 else []
        for o in theirs:	# kustomize folds base64 at 70 columns
            if o["kind"] == "Secret":
                o["data"] = {k: re.sub(r"\s", "", v)
                             for k, v in o.get("data", {}).items()}
        same = sorted(theirs, key=key) == sorted(mine, key=key)
        c.ok(r.returncode == 0 and same, "%s: kubectl kustomize (kustomize "
             "v%s) renders the same objects" % (sub, m.group(1)),
             r.stderr.strip() or "renderings differ")


# ------------------------------------------------------------ a live pod

def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def http_status(port, path):
    """The status of GET path on 127.0.0.1:port, or None (refused)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as so:
            so.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Connection: close\r\n\r\n" % path).encode())
            head = so.recv(512)
    except OSError:
        return None
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
    return int(m.group(1)) if m else None


def poll(pred, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def check_live(c, objs, wsgate, tmp):
    """The base pod's volume, started as the kubelet starts it (ports moved
    to free loopback ones): its probes as written pass; a ConfigMap update
    (the kubelet's ..data swap) plus SIGHUP brings a new route in; after
    SIGTERM, with a session open, the readiness probe fails while the
    process drains."""
    dep = by_kind(objs, "Deployment")[0]
    pod = dep["spec"]["template"]["spec"]
    ctr = pod["containers"][0]
    mount = ctr["volumeMounts"][0]
    vol = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    port = free_port()
    # The new route's backend: the kernel completes connects to a listening
    # socket, which is all an open session needs here.
    backend = socket.socket()
    backend.bind(("127.0.0.1", 0))
    backend.listen(8)
    cm = copy.deepcopy(next(o for o in objs if o["kind"] == "ConfigMap"))
    for k, v in cm["data"].items():
        cm["data"][k] = v.replace("0.0.0.0:8080", "127.0.0.1:%d" % port)
    objs = [cm if o["kind"] == "ConfigMap" else o for o in objs]
    top = lay_out(os.path.join(tmp, "live"), mount["mountPath"],
                  volume_files(pod, vol, objs))
    args = [a.replace(mount["mountPath"], top) for a in ctr["args"]]
    log = open(os.path.join(tmp, "live.log"), "w+")
    proc = subprocess.Popen([wsgate, "-v"] + args, stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL)

    def logged(text):
        log.flush()
        with open(log.name) as f:
            return text in f.read()

    def run_probe(kind):
        pr = ctr[kind]
        if "exec" in pr:
            cmd = [a.replace("127.0.0.1:8080", "127.0.0.1:%d" % port)
                   for a in pr["exec"]["command"]]
            cmd[0] = wsgate if cmd[0] == "/usr/bin/wsgate" else cmd[0]
            return subprocess.run(cmd, capture_output=True,
                                  timeout=pr.get("timeoutSeconds", 1) + 5
                                  ).returncode == 0
        st = http_status(port, pr["httpGet"]["path"])
        return st is not None and 200 <= st < 400	# the kubelet's rule
    try:
        if not c.ok(poll(lambda: run_probe("readinessProbe"), 10),
                    "live: the readiness probe passes on the pod's volume"):
            return
        c.ok(run_probe("livenessProbe"), "live: the liveness probe passes")
        # A ConfigMap update: the kubelet writes a new timestamped
        # directory and renames a new ..data link over the old one.
        cm2 = copy.deepcopy(cm)
        cm2["data"]["tokens.txt"] += "desk9: desk9.desktops.svc." \
            "cluster.local:5900\n"
        before = len(re.findall(r"(?m)^\w+:", cm["data"]["tokens.txt"]))
        c.ok(poll(lambda: logged("tokens/tokens.txt: %d tokens" % before),
                  5),
             "live: the token route read the ConfigMap's %d tokens" % before)
        cm2["data"]["vnc.ini"] += ("\n[route:added]\npath = /added\n"
                                   "backend = 127.0.0.1:%d\n"
                                   "origins = https://desktop.example.com\n"
                                   % backend.getsockname()[1])
        files = volume_files(pod, vol, [cm2 if o["kind"] == "ConfigMap"
                                        else o for o in objs])
        new = os.path.join(top, "..2026_01_01_00_01_00.000000002")
        for path, content, mode in files:
            full = os.path.join(new, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(content)
            os.chmod(full, mode)
        os.symlink(os.path.basename(new), os.path.join(top, "..data_tmp"))
        os.rename(os.path.join(top, "..data_tmp"), os.path.join(top,
                                                                "..data"))
        # Token files need no SIGHUP: the watcher sees the new file
        # behind the link within about 2 s.
        c.ok(poll(lambda: logged("tokens/tokens.txt: %d tokens" %
                                 (before + 1)), 10),
             "live: after the ..data swap, the token route uses the new "
             "tokens without SIGHUP")
        proc.send_signal(signal.SIGHUP)
        c.ok(poll(lambda: logged("route added: /added") and
                  logged("configuration reloaded"), 10),
             "live: after the kubelet's ..data swap, SIGHUP loads the new "
             "route file content")
        ws = socket.create_connection(("127.0.0.1", port), timeout=5)
        ws.sendall(b"GET /added HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   b"Sec-WebSocket-Version: 13\r\n"
                   b"Origin: https://desktop.example.com\r\n\r\n")
        head = ws.recv(512)
        c.ok(head.startswith(b"HTTP/1.1 101 "), "live: a session on the new "
             "route is open", repr(head[:40]))
        proc.send_signal(signal.SIGTERM)
        c.ok(poll(lambda: not run_probe("readinessProbe"), 10) and
             proc.poll() is None, "live: from SIGTERM on the readiness "
             "probe fails while wsgate drains (status %s)" %
             http_status(port, ctr["readinessProbe"].get("httpGet", {}).get(
                 "path", "/healthz")))
        proc.send_signal(signal.SIGTERM)	# a second one: exit now
        c.ok(proc.wait(10) is not None, "live: a second SIGTERM ends it")
        ws.close()
    except OSError as e:
        c.ok(False, "live: talking to wsgate", str(e))
    finally:
        backend.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if c.failures:
            log.seek(0)
            print(log.read()[-3000:])
        log.close()


# ------------------------------------------------------------ mutations

def sub_file(tree, rel, old, new):
    path = os.path.join(tree, rel)
    with open(path) as f:
        text = f.read()
    if old not in text:
        raise AssertionError("mutation: %r not in %s" % (old, rel))
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


MUTATIONS = [
    ("Service selector typo", "base/service.yaml",
     "  selector:\n    app.kubernetes.io/name: wsgate",
     "  selector:\n    app.kubernetes.io/name: wsgat", "selects the pods"),
    ("grace period below the drain", "base/deployment.yaml",
     "terminationGracePeriodSeconds: 45",
     "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds"),
    ("drain_timeout raised past the grace period", "base/configmap.yaml",
     "drain_timeout = 20", "drain_timeout = 40",
     "terminationGracePeriodSeconds"),
    ("key file readable by every user", "base/deployment.yaml",
     "path: tls/tls.key\n                      mode: 0440",
     "path: tls/tls.key", "wsgate -t"),
    ("no fsGroup for the key files", "base/deployment.yaml",
     "        fsGroup: 10001\n", "", "can read every file"),
    ("route file not mounted", "base/deployment.yaml",
     "                    - key: vnc.ini\n"
     "                      path: routes.d/vnc.ini\n", "", "is mounted"),
    ("bad key in a route", "base/configmap.yaml", "backend = vnc:5900",
     "backend = vnc", "wsgate -t"),
    ("a token line without a port", "base/configmap.yaml",
     "desk2: desk2.desktops.svc.cluster.local:5900",
     "desk2: desk2.desktops.svc.cluster.local", "wsgate -t"),
    ("writable root filesystem", "base/deployment.yaml",
     "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
     "read-only root filesystem"),
    ("probe on a port nothing listens on", "base/deployment.yaml",
     "http://127.0.0.1:8080/healthz", "http://127.0.0.1:9090/healthz",
     "livenessProbe runs wsgate --probe on None"),
    ("misspelt field", "base/deployment.yaml", "readinessProbe:",
     "readinesProbe:", "known field names"),
    ("Service targetPort without a container port", "tls/kustomization.yaml",
     "targetPort: wss", "targetPort: https", "a container port"),
    ("memory limit missing", "base/deployment.yaml",
     "              memory: 512Mi\n", "", "requests and limits"),
    ("Deployment without a selector", "base/deployment.yaml",
     "  selector:\n    matchLabels:\n      app.kubernetes.io/name: wsgate\n"
     "  strategy:", "  strategy:", "structure"),
    ("a key given twice", "base/deployment.yaml",
     "          imagePullPolicy: IfNotPresent\n",
     "          imagePullPolicy: IfNotPresent\n"
     "          imagePullPolicy: Always\n", "given twice"),
    ("broken YAML", "base/pdb.yaml", "  maxUnavailable: 1",
     "  maxUnavailable: [1", "parses"),
    ("unsafe sysctl", "base/deployment.yaml", "net.ipv4.ip_local_port_range",
     "net.core.somaxconn", "only safe sysctls"),
]


def run_mutations(c, wsgate, tmp):
    for what, rel, old, new, expect in MUTATIONS:
        tree = os.path.join(tmp, "mut", re.sub(r"\W+", "-", what))
        shutil.copytree(os.path.join(ROOT, "deploy", "k8s"), tree)
        overlay_files(tree)
        sub_file(tree, rel, old, new)
        inner = Checks(quiet=True)
        check_tree(inner, tree, wsgate, tree + "-vol")
        hit = [f for f in inner.failures if expect in f]
        c.ok(hit, "broken copy (%s) fails: %s" % (what, hit[0].splitlines()[0]
                                                  if hit else ""),
             "expected a failure about %r; got %s" % (expect,
                                                     inner.failures))


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsgate", default=os.path.join(
        ROOT, os.environ.get("B", "build"), "wsgate"))
    ap.add_argument("--mutations", action="store_true")
    ap.add_argument("--tree", default=None, help="a deploy/k8s copy")
    a = ap.parse_args(argv)
    c = Checks()
    tmp = tempfile.mkdtemp(prefix="wsgate-k8s-")
    # As in a container, every directory above the mounted files can be
    # searched by every user: wsgate judges a key by that and its mode.
    os.chmod(tmp, 0o755)
    try:
        tree = os.path.join(tmp, "k8s")
        shutil.copytree(a.tree or os.path.join(ROOT, "deploy", "k8s"), tree)
        overlay_files(tree)
        objs = check_tree(c, tree, a.wsgate, os.path.join(tmp, "vol"))
        kubectl_compare(c, tree, objs)
        if "base" in objs:
            check_live(c, objs["base"], a.wsgate, tmp)
        if a.mutations:
            run_mutations(c, a.wsgate, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("RESULT k8s: %d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
