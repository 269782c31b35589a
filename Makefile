# Walkaround: two commands.
#   make run   installs what is missing, builds in release mode and serves on :8080 (SQLite + ./data)
#   make test  installs what is missing, starts a throwaway PostgreSQL, runs the tests on SQLite and PostgreSQL
SHELL := /bin/bash
.DEFAULT_GOAL := run

.PHONY: run test setup build release clean

setup:
	@tools/setup.sh

release: setup
	swift build -c release --product walkaround

run: release
	.build/release/walkaround serve

build: setup
	swift build --build-tests

test: build
	tools/with-postgres.sh swift test --skip-build

clean:
	rm -rf .build
