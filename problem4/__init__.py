"""Part 4 of the course project: PyTorch CNNs on MDS189 key frames and video frames.

Modules: ``mds189`` (Dataset), ``presets`` (input size, normalisation, augmentation), ``models``
(nn.Modules), ``loaders`` (DataLoaders, image cache), ``train`` (the command-line program),
``checkpoints`` (save, load, --resume), ``runtime`` (device, threads, seeds, mixed precision),
``cnn_reports`` (CNN-specific figures and the Kaggle submission; not named ``reports``, which would
shadow the top-level ``reports`` when ``train.py`` runs as a script), ``compare`` (key-frame vs
video-frame table), ``distributed`` (torchrun helpers).
"""
