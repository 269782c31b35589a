# Walkaround: two commands.
#   make run   installs what is missing, builds in release mode, starts the LLM server and serves on :8080 (SQLite + ./data)
#   make test  installs what is missing, starts a throwaway PostgreSQL, an S3 store (SeaweedFS), Redis, the LLM server and a webhook receiver (verifying with
#              the standardwebhooks library), runs the tests on SQLite and PostgreSQL,
#              then schemathesis against docs/openapi.yaml (tools/schemathesis.sh), the web app in headless
#              Chromium (tools/browser/run.sh), the observability check (tools/observability/run.sh: a real Prometheus
#              scraping api+worker and an inference pod, every dashboard/alert/canary query evaluated, OTLP traces
#              checked across the queue) and make k8s-check
#              (renders and validates deploy/ offline)
SHELL := /bin/bash
.DEFAULT_GOAL := run

.PHONY: run test setup build release clean k8s-check bench load image image-prebuilt image-test image-topology image-cuda

setup:
	@tools/setup.sh

release: setup
	swift build -c release --product walkaround

run: release
	tools/with-llm.sh .build/release/walkaround serve

build: setup
	swift build --build-tests

test: build
	# A hung test fails the run after 25 minutes instead of holding CI (the suite takes about 4);
	# line-buffered, so that what a killed run printed last is not lost in a pipe's buffer.
	tools/with-postgres.sh tools/with-s3.sh tools/with-redis.sh tools/with-llm.sh tools/with-webhook-receiver.sh timeout -k 30 1500 stdbuf -oL -eL swift test --skip-build
	tools/schemathesis.sh debug 50
	tools/browser/run.sh
	tools/with-postgres.sh tools/with-s3.sh tools/with-redis.sh tools/with-llm.sh tools/observability/run.sh
	$(MAKE) k8s-check

k8s-check:
	tools/k8s/check.sh

# The container image with podman from local bases (tools/image/bases.sh, made once with mmdebstrap):
# `make image` compiles Swift inside the image as a registry build does; `make image-prebuilt` wraps
# the host's release binary (same bookworm libraries) and is what CI builds.
image:
	tools/image/build.sh

image-prebuilt: setup
	tools/image/build.sh --prebuilt

# The image run as the manifests run it (uid 10001, read-only root, tmpfs /tmp, no capabilities,
# their environment and grace period): health, inspect, a processed photo with a plate, ldd, restart, SIGTERM.
image-test:
	tools/image/test.sh

# Walkaround against a FastAPI + ONNX Runtime + OpenCV service and a FastAPI + OpenVINO + Pillow one,
# interleaved on loopback; writes the table into docs/performance.md (tools/bench/run.sh, ~15 min).
bench: setup
	tools/bench/run.sh

# The fleet load test: api ×2, workers ×2, inference, PostgreSQL, Redis, SeaweedFS on this machine,
# locust stations at their pace, rising rates; writes the table and sizing into docs/deploy.md (~30 min).
load: setup
	tools/load/run.sh

clean:
	rm -rf .build

# Every role in its own container (api, worker, inference from the same image, wired as the dev
# overlay wires them) against PostgreSQL, Redis and the S3 store on this machine: a check-out, a return, the report.
image-topology:
	tools/with-postgres.sh tools/with-s3.sh tools/with-redis.sh tools/image/test.sh --topology

# The CUDA image (ONNX Runtime's CUDA build and the NVIDIA wheels' libraries, ~3 GB) and the check
# that its libraries resolve among themselves (without a GPU: the driver is the runtime's).
image-cuda: setup
	ORT_PACKAGE=onnxruntime-gpu IMAGE=walkaround-cuda:dev tools/image/build.sh --prebuilt
	tools/image/test.sh --cuda-libraries walkaround-cuda:dev
