"""make image-test: the image run as the manifests run it, and checked as it runs.

The pod settings come from the rendered dev overlay (kubectl kustomize), not from this file: the
user and group, the read-only root filesystem, the dropped capabilities, the emptyDir at /tmp (a
tmpfs here), the ConfigMap's environment, the ports and the termination grace period. What needs
the cluster's services (PostgreSQL, Redis, the bucket, the LLM, the inference pods) is left out:
this container runs `--role all` on SQLite and a data volume.

Checks: /health and /ready answer; the process is uid 10001 and cannot write its root filesystem;
`walkaround inspect` works inside; a photo uploaded through the container's port is processed with
detections and a plate read (ONNX Runtime, Tesseract's data, the model and the resources bundle
found); `ldd` finds every library of the binary and of libonnxruntime.so; a second start on the
same data volume sees the first photo; SIGTERM drains and exits within the grace period. Reports
the image size, the time from `podman run` to ready, and the resident memory idle and under a
short load.

    tools/image/test.sh [IMAGE]      (default walkaround:dev; tools/image/build.sh makes it)
"""
import concurrent.futures
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "InferenceTests", "Fixtures")
PLATE_PHOTO = "plates/scenes/000-DE.jpg"
LOAD_PHOTOS = ["car/checkout-left.jpg", "car/return-rear.jpg", "plates/scenes/001-ES.jpg", "plates/scenes/002-SE.jpg",
               "plates/scenes/003-FR.jpg", "car/return-left.jpg", "car/checkout-rear.jpg", "plates/scenes/000-DE.jpg"]
VIEWS = ["front", "front_left", "left", "rear_left", "rear", "rear_right", "right", "front_right"]
# What needs the cluster's services (by prefix); this single container runs on SQLite and its data
# volume (WALKAROUND_DATA_DIR points at it instead of the pods' emptyDir).
CLUSTER_ONLY = ("DATABASE_", "WALKAROUND_S3_", "WALKAROUND_REDIS_URL", "WALKAROUND_INFERENCE_URL", "WALKAROUND_LLM_", "OTEL_EXPORTER_",
                "WALKAROUND_TRACING", "WALKAROUND_DATA_DIR")
DATA = "/var/lib/walkaround/data"

failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def podman(*args, check_rc=True, **kwargs):
    command = ["podman", "--runtime", "/usr/sbin/runc", *args]
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if check_rc and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} … failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, key=None, body=None, content_type=None, timeout=30):
    request = urllib.request.Request(url, data=body, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return None, b""


def rendered_dev():
    rendered = subprocess.run(["kubectl", "kustomize", os.path.join(ROOT, "deploy", "kubernetes", "overlays", "dev")],
                              capture_output=True, text=True, check=True).stdout
    return [d for d in yaml.safe_load_all(rendered) if d]


class Manifest:
    """The pod the dev overlay deploys for a role (`walkaround-<role>`)."""

    def __init__(self, role="worker", docs=None):
        docs = docs or rendered_dev()
        deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == f"walkaround-{role}")
        self.role = role
        self.image = None
        self.args = []
        self.pod = deployment["spec"]["template"]["spec"]
        self.container = next(c for c in self.pod["containers"] if c["name"] == "walkaround")
        self.image = self.container["image"]
        self.args = list(self.container.get("args", []))
        config_names = [e["configMapRef"]["name"] for e in self.container.get("envFrom", []) if "configMapRef" in e]
        self.env = {}
        for d in docs:
            if d["kind"] == "ConfigMap" and d["metadata"]["name"] in config_names:
                self.env.update({k: str(v) for k, v in (d.get("data") or {}).items()})
        for e in self.container.get("env", []):
            if "value" in e:
                self.env[e["name"]] = str(e["value"])
        context = self.container.get("securityContext", {})
        pod_context = self.pod.get("securityContext", {})
        self.user = context.get("runAsUser", pod_context.get("runAsUser"))
        self.group = context.get("runAsGroup", pod_context.get("runAsGroup"))
        self.read_only = context.get("readOnlyRootFilesystem", False)
        self.drop = context.get("capabilities", {}).get("drop", [])
        self.no_new_privileges = context.get("allowPrivilegeEscalation") is False
        empty_dirs = {v["name"] for v in self.pod.get("volumes", []) if "emptyDir" in v}
        self.tmpfs = [m["mountPath"] for m in self.container.get("volumeMounts", []) if m["name"] in empty_dirs]
        secret_volumes = {v["name"] for v in self.pod.get("volumes", []) if "secret" in v and v["secret"].get("secretName") == "walkaround-secrets"}
        self.secrets = next(m["mountPath"] for m in self.container.get("volumeMounts", []) if m["name"] in secret_volumes)
        self.grace = int(self.pod.get("terminationGracePeriodSeconds", 30))
        self.ports = {p["name"]: p["containerPort"] for p in self.container.get("ports", [])}


class Container:
    def __init__(self, image, manifest, data, secrets_dir, name, env=None, role="all"):
        self.image, self.manifest, self.data, self.secrets_dir, self.name = image, manifest, data, secrets_dir, name
        self.cluster_env, self.role = env, role
        self.port, self.metrics_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}"

    def run_args(self):
        m = self.manifest
        args = ["run", "-d", "--name", self.name, "--network", "host", "--user", f"{m.user}:{m.group}",
                "-v", f"{self.secrets_dir}:{m.secrets}:ro", "-v", f"{FIXTURES}:/fixtures:ro"]
        if self.data:
            args += ["-v", f"{self.data}:{DATA}"]
        if m.read_only:
            args.append("--read-only")
        for path in m.tmpfs:
            args += ["--tmpfs", path]
        for capability in m.drop:
            args += ["--cap-drop", capability]
        if m.no_new_privileges:
            args += ["--security-opt", "no-new-privileges"]
        if self.cluster_env is None:
            env = {k: v for k, v in m.env.items() if not k.startswith(CLUSTER_ONLY)}
            env.update(WALKAROUND_ROLE=self.role, WALKAROUND_WORKER_POLL_MS="50", WALKAROUND_DATA_DIR=DATA)
        else:
            env = dict(self.cluster_env)
        # Host networking: the manifests' ports (8080, 9090) moved to free ones.
        env.update(HTTP_PORT=str(self.port), WALKAROUND_METRICS_PORT=str(self.metrics_port))
        for key, value in sorted(env.items()):
            args += ["-e", f"{key}={value}"]
        return args + [self.image] + (m.args if self.cluster_env is not None else [])

    def start(self):
        started = time.monotonic()
        podman(*self.run_args())
        deadline = started + 180
        while time.monotonic() < deadline:
            status, _ = http("GET", self.metrics_url + "/ready", timeout=2)
            if status == 200:
                return time.monotonic() - started
            state = podman("inspect", "--format", "{{.State.Running}}", self.name, check_rc=False).stdout.strip()
            if state == "false":
                break
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready; its log ends:\n{self.logs()[-3000:]}")

    def logs(self):
        result = podman("logs", self.name, check_rc=False)
        return result.stdout + result.stderr

    def exec(self, *command):
        return podman("exec", self.name, *command, check_rc=False)

    def rss_mb(self):
        status = self.exec("cat", "/proc/1/status").stdout
        line = next((l for l in status.splitlines() if l.startswith("VmRSS:")), "VmRSS: 0 kB")
        return int(line.split()[1]) / 1024

    def stop(self, timeout):
        started = time.monotonic()
        podman("stop", "-t", str(timeout), self.name, check_rc=False)
        elapsed = time.monotonic() - started
        code = podman("inspect", "--format", "{{.State.ExitCode}}", self.name, check_rc=False).stdout.strip()
        return elapsed, code

    def remove(self):
        podman("rm", "-f", self.name, check_rc=False)


def fixture(path):
    with open(os.path.join(FIXTURES, path), "rb") as f:
        return f.read()


def wait_settled(container, key, inspection, photo_ids, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, body = http("GET", f"{container.url}/v1/inspections/{inspection}", key)
        if status == 200:
            photos = {p["id"]: p for p in json.loads(body)["photos"]}
            if all(photos.get(i, {}).get("status") in ("processed", "rejected", "failed") for i in photo_ids):
                return photos
        time.sleep(0.2)
    raise RuntimeError(f"photos of {inspection} not settled in {seconds} s")


def upload(container, key, inspection, view, data):
    status, body = http("POST", f"{container.url}/v1/inspections/{inspection}/photos?view={view}", key, data, "image/jpeg")
    if status != 202:
        raise RuntimeError(f"upload answered {status}: {body[:300]!r}")
    return json.loads(body)["id"]


def open_inspection(container, key, plate):
    status, body = http("POST", f"{container.url}/v1/inspections", key,
                        json.dumps({"kind": "checkout", "station": "IMG-01", "vehicle": {"plate": plate}}).encode(), "application/json")
    if status != 201:
        raise RuntimeError(f"creating an inspection answered {status}: {body[:300]!r}")
    return json.loads(body)["id"]


def cluster_env(manifest, services, inference_url):
    """A role's environment as the dev overlay sets it, with the cluster's service addresses
    replaced by the ones on this machine. Every key the manifests set stays (a key this replaces
    must exist there: a renamed setting fails here)."""
    env = dict(manifest.env)
    replaced = {
        "WALKAROUND_REDIS_URL": services["redis"], "WALKAROUND_INFERENCE_URL": inference_url,
        "WALKAROUND_S3_ENDPOINT": services["s3_endpoint"], "WALKAROUND_S3_BUCKET": services["s3_bucket"],
        # SeaweedFS: path-style, no KMS; the keys as values rather than the Secret's files.
        "WALKAROUND_S3_PATH_STYLE": "true", "WALKAROUND_S3_SSE": "", "WALKAROUND_S3_ACCESS_KEY_ID_FILE": "", "WALKAROUND_S3_SECRET_ACCESS_KEY_FILE": "",
        # The test PostgreSQL has no TLS.
        "DATABASE_SSLMODE": "disable", "DATABASE_SSL_ROOT_CERT": "",
        # No fallback API here (a third party).
        "WALKAROUND_LLM_FALLBACK_URL": "", "WALKAROUND_LLM_FALLBACK_API_KEY_FILE": "",
    }
    for key, value in replaced.items():
        if key in env:
            env[key] = value
        else:
            check(False, f"the manifests no longer set {key} for the {manifest.role}: the topology test replaces it")
    env = {k: v for k, v in env.items() if v != ""}
    env.update(DATABASE_URL=services["database"], WALKAROUND_S3_ACCESS_KEY_ID=services["s3_access"],
               WALKAROUND_S3_SECRET_ACCESS_KEY=services["s3_secret"], WALKAROUND_S3_PREFIX=services["s3_prefix"],
               WALKAROUND_WORKER_POLL_MS="50")
    return env


def topology(image):
    """api, worker and inference as separate containers against PostgreSQL, Redis and the S3 store
    on this machine (tools/with-postgres.sh, with-redis.sh, with-s3.sh), wired as the dev overlay
    wires them; a check-out and a return of one car, and the report."""
    docs = rendered_dev()
    manifests = {role: Manifest(role, docs) for role in ("api", "worker", "inference")}
    for role, m in manifests.items():
        check(m.args == ["--role", role], f"the {role} Deployment runs `serve --role {role}` ({m.args})")
        check(m.ports.get("http") == 8080 and m.ports.get("metrics") == 9090, f"the {role} Deployment's ports are 8080 and 9090 ({m.ports})")
        check(m.image.split("/")[-1].split(":")[0] == "walkaround", f"the {role} Deployment runs the walkaround image ({m.image})")
    # The manifests' image name points at the image under test.
    reference = manifests["api"].image
    podman("tag", image, reference)
    server = os.environ["WALKAROUND_TEST_POSTGRES_URL"]
    database = f"walkaround_image_{secrets.token_hex(4)}"
    subprocess.run(["psql", server, "-q", "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    parts = urllib.parse.urlsplit(server)
    services = {
        "database": urllib.parse.urlunsplit(parts._replace(path="/" + database)), "redis": os.environ["WALKAROUND_TEST_REDIS_URL"],
        "s3_endpoint": os.environ["WALKAROUND_TEST_S3_ENDPOINT"], "s3_bucket": os.environ["WALKAROUND_TEST_S3_BUCKET"],
        "s3_access": os.environ["WALKAROUND_TEST_S3_ACCESS_KEY_ID"], "s3_secret": os.environ["WALKAROUND_TEST_S3_SECRET_ACCESS_KEY"],
        "s3_prefix": f"image-{secrets.token_hex(4)}/",
    }
    secrets_dir = signing_key_dir(manifests["api"])
    tag = secrets.token_hex(4)
    containers = {}
    try:
        inference = Container(reference, manifests["inference"], None, secrets_dir, f"walkaround-inference-{tag}", env={})
        inference.cluster_env = cluster_env(manifests["inference"], services, "")
        containers["inference"] = inference
        for role in ("inference", "api", "worker"):
            if role != "inference":
                containers[role] = Container(reference, manifests[role], None, secrets_dir, f"walkaround-{role}-{tag}", env={})
                containers[role].cluster_env = cluster_env(manifests[role], services, inference.url)
            print(f"{role}: ready in {containers[role].start():.1f} s")
        api = containers["api"]
        key = api.exec("walkaround", "keys", "create", "--role", "station", "--station", "TOPO-01").stdout.strip()
        check(len(key) > 20, "a station key made in the api container (PostgreSQL reached)")
        reports, opened = {}, {}
        for kind, sources in (("checkout", ["car/checkout-left.jpg", "car/checkout-rear.jpg"]), ("return", ["car/return-left.jpg", "car/return-rear.jpg"])):
            status, body = http("POST", f"{api.url}/v1/inspections", key,
                                json.dumps({"kind": kind, "station": "TOPO-01", "vehicle": {"plate": "B-TP 1"}}).encode(), "application/json")
            if status != 201:
                raise RuntimeError(f"opening the {kind} answered {status}: {body[:300]!r}")
            inspection = opened[kind] = json.loads(body)["id"]
            ids = [upload(api, key, inspection, view, fixture(source)) for view, source in zip(["left", "rear"], sources)]
            photos = wait_settled(api, key, inspection, ids)
            check(all(p["status"] == "processed" for p in photos.values()) and sum(len(p.get("detections", [])) for p in photos.values()) > 0,
                  f"{kind}: both photos processed by the worker with detections from the inference pod: "
                  + ", ".join(f"{p['status']} {len(p.get('detections', []))} {p.get('error', '')[:120]}" for p in photos.values()))
            check(http("POST", f"{api.url}/v1/inspections/{inspection}/complete", key)[0] == 200, f"{kind}: completed")
            deadline = time.time() + 180
            report = {}
            while time.time() < deadline:
                status, body = http("GET", f"{api.url}/v1/inspections/{inspection}/report", key)
                report = json.loads(body) if status == 200 else {}
                if report.get("status") == "written":
                    break
                time.sleep(0.5)
            reports[kind] = report
            check(report.get("status") == "written", f"{kind}: the report is written ({report.get('status')})")
        compared = (reports["return"].get("report") or {}).get("compared_with") or {}
        check(str(compared.get("id", "")).lower() == opened["checkout"].lower(),
              f"the return's report is compared with the check-out ({compared})")
        # The models ran in the inference container, called by the worker's; photos went through the bucket.
        def samples(container, prefix):
            _, body = http("GET", container.metrics_url + "/metrics")
            return sum(float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines() if line.startswith(prefix))
        check(samples(containers["inference"], "inference_duration_seconds_count") > 0, "the inference container ran the model")
        check(samples(containers["worker"], "walkaround_remote_inference_seconds_count") >= 4, "the worker called the inference container for each photo")
        check(samples(containers["api"], 'walkaround_photo_store_requests_total{store="s3",operation="put",outcome="ok"}') >= 4,
              "the api stored the photos in the S3 store")
        for role, container in containers.items():
            errors = [l for l in container.logs().splitlines() if '"level":"error"' in l or '"level":"critical"' in l]
            check(not errors, f"{role}: no error lines" + (f": {errors[0][:200]}" if errors else ""))
    finally:
        for container in containers.values():
            container.remove()
        podman("rmi", reference, check_rc=False)
        shutil.rmtree(secrets_dir, ignore_errors=True)
        subprocess.run(["psql", server, "-q", "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)


def signing_key_dir(manifest):
    """The Secret the pods mount, here with the report signing key only (the S3 and LLM keys are the cluster's)."""
    folder = tempfile.mkdtemp(prefix="walkaround-image-secrets-")
    key_file = os.path.join(folder, "report-signing-key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key_file], check=True, capture_output=True)
    os.chown(key_file, manifest.user, manifest.group)
    os.chmod(key_file, 0o400)
    os.chmod(folder, 0o755)
    return folder


# Not in the CUDA image on purpose: the driver comes with the NVIDIA container runtime; TensorRT is
# not shipped (only the CUDA execution provider is registered, so its provider is never loaded).
CUDA_ALLOWED_MISSING = {"libcuda.so.1": None, "libnvinfer.so.10": "libonnxruntime_providers_tensorrt.so",
                        "libnvonnxparser.so.10": "libonnxruntime_providers_tensorrt.so"}


def cuda_libraries(image):
    """The CUDA image's libraries (ONNX Runtime's providers and the NVIDIA wheels') resolve among
    themselves: `ldd` on each finds everything but what CUDA_ALLOWED_MISSING names."""
    script = 'for f in /opt/walkaround/lib/*.so*; do ldd "$f" 2>&1 | sed -n "s|^\\s*\\(\\S*\\) => not found|$(basename "$f") \\1|p"; done; true'
    result = podman("run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", script)
    missing = [line.split() for line in result.stdout.splitlines() if line.strip()]
    count = podman("run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", "ls /opt/walkaround/lib | wc -l").stdout.strip()
    unexpected = [(f, lib) for f, lib in missing if lib not in CUDA_ALLOWED_MISSING or CUDA_ALLOWED_MISSING[lib] not in (None, f)]
    check(not unexpected, f"{count} libraries in /opt/walkaround/lib resolve among themselves"
          + (": " + "; ".join(f"{f} needs {lib}" for f, lib in unexpected) if unexpected else f" (missing only the driver and TensorRT: {sorted(set(l for _, l in missing))})"))
    for required in ["libonnxruntime_providers_cuda.so", "libcudnn.so.9", "libcublas.so", "libcudart.so"]:
        present = podman("run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", f"ls /opt/walkaround/lib | grep -c '^{required}'", check_rc=False).stdout.strip()
        check(present not in ("", "0"), f"{required}* is in the image")


def main():
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    image = arguments[0] if arguments else "walkaround:dev"
    if "--cuda-libraries" in sys.argv:
        cuda_libraries(image)
        print("cuda library check: " + ("FAILED" if failures else "passed"))
        sys.exit(1 if failures else 0)
    if "--topology" in sys.argv:
        topology(image)
        if failures:
            print(f"topology test: FAILED ({len(failures)})")
            sys.exit(1)
        print("topology test: passed")
        return
    manifest = Manifest()
    print(f"image {image}; pod from the dev overlay: uid {manifest.user}:{manifest.group}, read-only root {manifest.read_only}, "
          f"drop {manifest.drop}, tmpfs {manifest.tmpfs}, grace {manifest.grace} s, {len(manifest.env)} env from the manifests")
    size = int(podman("image", "inspect", image, "--format", "{{.Size}}").stdout.strip())
    print(f"image size: {size / 1e6:.0f} MB")
    check(manifest.user == 10001 and manifest.read_only and "ALL" in manifest.drop and "/tmp" in manifest.tmpfs,
          "the manifests run uid 10001, read-only, without capabilities, with a tmpfs at /tmp")

    # The libraries: nothing `not found` in the binary's or ONNX Runtime's.
    for path in ["/opt/walkaround/bin/walkaround", "/opt/walkaround/lib/libonnxruntime.so"]:
        result = podman("run", "--rm", "--network", "none", "--entrypoint", "ldd", image, path, check_rc=False)
        check(result.returncode == 0 and "not found" not in result.stdout, f"ldd {path}: every library found"
              + ("" if "not found" not in result.stdout else ": " + "; ".join(l.strip() for l in result.stdout.splitlines() if "not found" in l)))

    data = tempfile.mkdtemp(prefix="walkaround-image-")
    os.chown(data, manifest.user, manifest.group)
    secrets_dir = signing_key_dir(manifest)
    names = [f"walkaround-image-test-{secrets.token_hex(4)}-{i}" for i in range(2)]
    first = Container(image, manifest, data, secrets_dir, names[0])
    try:
        ready = first.start()
        print(f"podman run → ready: {ready:.1f} s")
        check(http("GET", first.url + "/health")[0] == 200, "/health answers 200 on the service port")
        check(http("GET", first.metrics_url + "/ready")[0] == 200, "/ready answers 200 on the metrics port")
        check(first.exec("id", "-u").stdout.strip() == str(manifest.user), f"the process runs as uid {manifest.user}")
        write = first.exec("sh", "-c", "touch /opt/walkaround/written 2>&1; echo rc=$?")
        check("Read-only file system" in write.stdout, "the root filesystem is read-only")
        check(first.exec("sh", "-c", "touch /tmp/written && echo ok").stdout.strip() == "ok", "/tmp is writable (the emptyDir)")
        inspected = first.exec("walkaround", "inspect", "/fixtures/" + PLATE_PHOTO)
        check(inspected.returncode == 0 and "accepted" in inspected.stdout.lower(), "walkaround inspect works inside: "
              + (inspected.stdout.strip().splitlines() or [inspected.stderr.strip()[-200:]])[-1][:160])

        key = first.exec("walkaround", "keys", "create", "--role", "station", "--station", "IMG-01").stdout.strip()
        check(key.startswith("wk_") or len(key) > 20, "walkaround keys create works inside (the data volume is writable)")
        idle = first.rss_mb()
        inspection = open_inspection(first, key, "B-MW 2024")
        photo = upload(first, key, inspection, "front", fixture(PLATE_PHOTO))
        photos = wait_settled(first, key, inspection, [photo])
        settled = photos[photo]
        check(settled["status"] == "processed", f"the uploaded photo is processed ({settled['status']} {settled.get('error', '')})")
        check(len(settled.get("detections", [])) > 0, f"the model found {len(settled.get('detections', []))} objects (ONNX Runtime and the model load)")
        readings = settled.get("plate_readings", [])
        check(len(readings) > 0, "a plate was read (Tesseract's data found): " + ", ".join(r.get("formatted", "?") for r in readings))
        status, _ = http("GET", f"{first.url}/v1/photos/{photo}/annotated.jpg", key)
        check(status == 200, "the annotated photo renders (the resources bundle's font and routes)")

        # A short load: 4 inspections × 8 photos, 4 at a time; the peak resident memory.
        peak = [first.rss_mb()]
        load_started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            def one(index):
                inspection = open_inspection(first, key, f"B-LD {100 + index}")
                ids = [upload(first, key, inspection, VIEWS[i], fixture(p)) for i, p in enumerate(LOAD_PHOTOS)]
                return wait_settled(first, key, inspection, ids)
            futures = [pool.submit(one, i) for i in range(4)]
            while not all(f.done() for f in futures):
                peak.append(first.rss_mb())
                time.sleep(0.2)
            settled_counts = [len(f.result()) for f in futures]
        load_seconds = time.monotonic() - load_started
        check(sum(settled_counts) == 32, f"32 photos settled under load in {load_seconds:.1f} s")
        print(f"resident memory: {idle:.0f} MB idle (after start), {max(peak):.0f} MB peak under the load")

        elapsed, code = first.stop(manifest.grace)
        check(elapsed < manifest.grace, f"SIGTERM: drained and exited in {elapsed:.1f} s (grace {manifest.grace} s), exit code {code}")
        check(code == "0", "it exits 0 after SIGTERM")

        second = Container(image, manifest, data, secrets_dir, names[1])
        second.start()
        status, body = http("GET", f"{second.url}/v1/inspections/{inspection}", key)
        again = {p["id"] for p in json.loads(body)["photos"]} if status == 200 else set()
        check(photo in again, "a second start on the same data volume sees the first photo")
        second.stop(manifest.grace)
    finally:
        for name in names:
            podman("rm", "-f", name, check_rc=False)
        # Files the container wrote belong to uid 10001.
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(secrets_dir, ignore_errors=True)
    if failures:
        print(f"image test: FAILED ({len(failures)})")
        sys.exit(1)
    print("image test: passed")


if __name__ == "__main__":
    main()
