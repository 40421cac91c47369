# Two commands: `make demo` (set up, build the sample data, train everything) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SAMPLE := data/mds189_sample
RUNS   := runs
CACHE  := $(RUNS)/cache

.PHONY: demo test venv sample lint bench notebooks notebook clean

# The venv is rebuilt when requirements.txt changes. The .pth file puts the repository root on the
# venv's path, so top-level modules import from anywhere (python problem4/train.py, torchrun, notebooks).
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -c "import os, sysconfig; open(os.path.join(sysconfig.get_paths()['purelib'], 'mds189-repo.pth'), 'w').write(os.getcwd() + '\n')"
	touch $@

venv: $(VENV)/.installed

# Rebuilt when the generator changes (the README is written last: it marks a finished build).
$(SAMPLE)/README.md: $(wildcard mds189_sample/*.py) | $(VENV)/.installed
	$(PY) -m mds189_sample --out $(SAMPLE) --subjects 60 --seed 0 --overwrite

sample: $(SAMPLE)/README.md

demo: venv sample
	@echo "== 1/3 NumPy FullyConnectedNet on real BODY_25 poses (body25_posekit) =="
	$(PY) -m mds189_cli train-keypoints --table data/body25_posekit/samples.csv.gz --skeleton body25 --pseudo-clips 50 --out $(RUNS)/posekit_fc
	@echo "== 2/3 NumPy FullyConnectedNet on MDS189 sample key-frame poses: raw, then aligned =="
	$(PY) -m mds189_cli train-keypoints --mds189 $(SAMPLE) --epochs 150 --lr-decay 0.98 --out $(RUNS)/mds189_fc_raw
	$(PY) -m mds189_cli train-keypoints --mds189 $(SAMPLE) --aligned --epochs 150 --lr-decay 0.98 --out $(RUNS)/mds189_fc_aligned
	@echo "== 3/3 PyTorch CNNs: key frames, then video frames (+ Kaggle submission), then the comparison =="
	$(PY) problem4/train.py --data-root $(SAMPLE) --frames key --model deep --image-size 96 --epochs 60 --batch-size 32 --lr 1e-3 --log-interval 5 --output-dir $(RUNS)/cnn_key --cache-dir $(CACHE)
	$(PY) problem4/train.py --data-root $(SAMPLE) --frames video --model deep --image-size 96 --epochs 12 --batch-size 32 --lr 1e-3 --log-interval 20 --val-interval 100 --output-dir $(RUNS)/cnn_video --cache-dir $(CACHE) --predict
	$(PY) -m problem4.compare $(RUNS)/cnn_key $(RUNS)/cnn_video --data-root $(SAMPLE) --out $(RUNS)/compare --cache-dir $(CACHE)
	@echo "== demo: done; outputs are under $(RUNS)/ (summary: $(RUNS)/compare/, submission: $(RUNS)/cnn_video/submission.csv) =="

test: venv
	$(PY) -m ruff check .
	$(PY) -m pytest -q

lint: venv
	$(PY) -m ruff check .

bench: venv
	$(PY) benchmarks/bench_fc.py
	$(PY) benchmarks/bench_cnn.py
	$(PY) benchmarks/bench_conv.py --out $(RUNS)/bench_conv

# Re-execute both notebooks on the demo sample and save them with their outputs (they are committed so).
notebooks: venv sample
	$(VENV)/bin/jupyter-execute --inplace --timeout=1200 mds189_visualize.ipynb starter_code.ipynb

notebook: venv
	$(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab

clean:
	rm -rf $(RUNS) $(SAMPLE)
