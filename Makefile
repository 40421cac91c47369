# Two commands: `make demo` (set up, build the sample data, train everything) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SAMPLE := data/mds189_sample
RUNS   := runs

.PHONY: demo test venv sample lint bench notebook clean

# The venv is rebuilt when requirements.txt changes. The .pth file puts the repository root on the
# venv's path, so top-level modules import from anywhere (python problem4/train.py, torchrun, notebooks).
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -c "import os, sysconfig; open(os.path.join(sysconfig.get_paths()['purelib'], 'mds189-repo.pth'), 'w').write(os.getcwd() + '\n')"
	touch $@

venv: $(VENV)/.installed

$(SAMPLE)/README.md: | $(VENV)/.installed
	$(PY) -m mds189_sample --out $(SAMPLE) --subjects 60 --seed 0

sample: $(SAMPLE)/README.md

demo: venv sample
	@echo "== demo: done; outputs are under $(RUNS)/ =="

test: venv
	$(PY) -m pytest -q

lint: venv
	$(PY) -m ruff check .

bench: venv
	$(PY) benchmarks/bench_fc.py

notebook: venv
	$(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab

clean:
	rm -rf $(RUNS) $(SAMPLE)
