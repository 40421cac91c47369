"""CNN architectures for MDS189 frames, a fully-connected network to compare them with, and summaries.

Every model maps a float batch of shape (N, 3, H, W) to raw class scores (logits) of shape (N, C);
the loss (``nn.CrossEntropyLoss``) applies the softmax. ``build_network`` puts ``Preprocess`` in front
of one, for uint8 batches: the network ``train.py`` trains and checkpoints. No training code lives here.

``python -m problem4.models --image-size 64`` prints each model's layer-by-layer summary and the
parameter counts that answer the course's question (a CNN vs a fully-connected net).
"""

import argparse

import pandas as pd
import torch
from torch import nn

from mds189_constants import NUM_CLASSES
from problem4.presets import Preprocess, input_shape


class BaselineCNN(nn.Module):
    """Two 5x5 conv-ReLU-maxpool stages, average-pooled to a 4x2 grid, then one linear layer."""

    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d((4, 2)),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 2, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def _conv_bn_relu(in_channels, out_channels, kernel_size=3, stride=1):
    return [
        nn.Conv2d(
            in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=False
        ),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class DeepCNN(nn.Module):
    """A 5x5 stride-2 stem, then three 3x3 conv-BN-ReLU-maxpool stages (widths w, 2w, 4w, 8w), average-pooled
    to 2x1, then dropout - linear(128) - ReLU - dropout - linear.

    The strided stem halves the resolution before any wide layer: most of the cost of a CNN on CPU is in
    its full-resolution layers.
    """

    def __init__(self, num_classes=NUM_CLASSES, width=16, dropout=0.1):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            *_conv_bn_relu(3, w, kernel_size=5, stride=2),
            *_conv_bn_relu(w, 2 * w),
            nn.MaxPool2d(2),
            *_conv_bn_relu(2 * w, 4 * w),
            nn.MaxPool2d(2),
            *_conv_bn_relu(4 * w, 8 * w),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d((2, 1)),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(8 * w * 2, 128),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class MLP(nn.Module):
    """Fully-connected network on the flattened image: linear-ReLU-dropout for each hidden width, then linear.

    With the default widths it has the depth of ``BaselineCNN`` (three weight layers).
    """

    def __init__(self, image_shape, num_classes=NUM_CLASSES, hidden=(256, 128), dropout=0.3):
        super().__init__()
        layers, width = [nn.Flatten()], 3 * image_shape[0] * image_shape[1]
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def _resnet18(shape, num_classes):
    from torchvision.models import resnet18  # imported when used: torchvision takes over a second to import

    return resnet18(weights=None, num_classes=num_classes)


MODELS = {
    "baseline": lambda shape, num_classes: BaselineCNN(num_classes),
    "deep": lambda shape, num_classes: DeepCNN(num_classes),
    "resnet18": _resnet18,
    "mlp": lambda shape, num_classes: MLP(shape, num_classes),
}


# Smallest --image-size (input height; the width is half) each model runs at: below it the deep CNN's
# pooling stages shrink the feature map to nothing. ResNet-18 reaches a 1x1 map after its last stage below
# 33 pixels, where BatchNorm in training mode cannot normalise a batch of one image.
MIN_IMAGE_SIZE = {"baseline": 16, "deep": 30, "resnet18": 16, "mlp": 16}
MIN_IMAGE_SIZE_BATCH_OF_ONE = {"resnet18": 33}


def check_image_size(name, image_size, smallest_batch=2):
    """Raise ValueError unless model ``name`` can train on inputs of ``input_shape(image_size)`` in
    batches of at least ``smallest_batch`` images."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    minimum = MIN_IMAGE_SIZE[name]
    if image_size < minimum:
        raise ValueError(f"--image-size {image_size} is too small for --model {name} (at least {minimum})")
    minimum = MIN_IMAGE_SIZE_BATCH_OF_ONE.get(name, minimum)
    if smallest_batch < 2 and image_size < minimum:
        raise ValueError(
            f"--model {name} cannot train on a batch of one image at --image-size {image_size} "
            f"(BatchNorm needs --image-size >= {minimum}, or batches of at least 2 images)"
        )


def build_model(name, image_shape, num_classes=NUM_CLASSES):
    """A freshly initialised model by name (one of ``MODELS``) for inputs of shape (3, *image_shape)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name](tuple(image_shape), num_classes)


def build_network(model_name, image_size, mean, std, channels_last=False):
    """``Preprocess`` (augmentation in training mode, normalisation) followed by the named model: the
    network takes uint8 batches of shape (N, 3, *input_shape(image_size)) and returns logits (N, C).

    With ``channels_last`` (what train.py asks for on CUDA) the weights are in the channels_last memory
    format and so is ``Preprocess``'s output (``grid_sample`` returns NCHW whatever its input); moving the
    network to a device keeps the format.
    """
    network = nn.Sequential(
        Preprocess(mean, std, channels_last=channels_last), build_model(model_name, input_shape(image_size))
    )
    return network.to(memory_format=torch.channels_last) if channels_last else network


def count_parameters(model, trainable_only=True):
    """Number of (trainable) parameters of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def summarize(model, image_shape):
    """Layer-by-layer summary from one forward pass of a zero batch.

    Inputs:
    - model: an nn.Module taking (N, 3, H, W)
    - image_shape: (H, W)

    Returns a DataFrame with one row per leaf layer: layer (its name), type, output shape (without N),
    params, and dense_params: for a convolution, the parameter count of a fully-connected layer with
    the same input and output sizes (what weight sharing saves); otherwise equal to params.
    """
    rows, hooks = [], []

    def hook(name):
        def record(module, inputs, output):
            params = sum(p.numel() for p in module.parameters(recurse=False))
            dense = params
            if isinstance(module, nn.Conv2d):
                dense = inputs[0][0].numel() * output[0].numel() + output[0].numel()
            rows.append(
                {
                    "layer": name,
                    "type": type(module).__name__,
                    "output": tuple(output.shape[1:]),
                    "params": params,
                    "dense_params": dense,
                }
            )

        return record

    for name, module in model.named_modules():
        if not list(module.children()):
            hooks.append(module.register_forward_hook(hook(name)))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, *image_shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return pd.DataFrame(rows, columns=["layer", "type", "output", "params", "dense_params"])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print layer summaries and parameter counts of the models.")
    parser.add_argument("--image-size", type=int, default=64, help="input height; width is half (default 64)")
    args = parser.parse_args(argv)
    shape = input_shape(args.image_size)
    totals = []
    for name in MODELS:
        model = build_model(name, shape)
        table = summarize(model, shape)
        print(f"\n## {name} (input 3x{shape[0]}x{shape[1]})\n")
        print(table.to_markdown(index=False))
        totals.append(
            {
                "model": name,
                "params": count_parameters(model),
                "dense_equivalent_params": int(table["dense_params"].sum()),
            }
        )
    print("\n## Parameter counts\n")
    print(pd.DataFrame(totals).to_markdown(index=False))


if __name__ == "__main__":
    main()
