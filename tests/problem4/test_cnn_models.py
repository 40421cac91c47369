import pytest
import torch

from problem4.checkpoints import model_from_checkpoint
from problem4.models import (
    MIN_IMAGE_SIZE,
    MIN_IMAGE_SIZE_BATCH_OF_ONE,
    MLP,
    MODELS,
    BaselineCNN,
    DeepCNN,
    build_model,
    build_network,
    check_image_size,
    count_parameters,
    summarize,
)
from problem4.presets import Preprocess, input_shape


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("shape", [(64, 32), (48, 24)])
def test_output_is_raw_logits_of_shape_n_by_8(name, shape):
    torch.manual_seed(0)
    model = build_model(name, shape).eval()
    out = model(torch.randn(3, 3, *shape))
    assert out.shape == (3, 8) and out.dtype == torch.float32
    assert (out < 0).any()  # raw scores, not ReLU'd or softmaxed


def test_baseline_parameter_count_by_hand():
    conv1 = 3 * 16 * 5 * 5 + 16
    conv2 = 16 * 32 * 5 * 5 + 32
    fc = 32 * 4 * 2 * 8 + 8
    assert count_parameters(BaselineCNN()) == conv1 + conv2 + fc == 16104


def test_deep_parameter_count_by_hand():
    convs = 5 * 5 * 3 * 16 + 9 * (16 * 32 + 32 * 64 + 64 * 128)  # no conv bias: BatchNorm follows
    batchnorm = 2 * (16 + 32 + 64 + 128)
    fc = (128 * 2 * 128 + 128) + (128 * 8 + 8)
    assert count_parameters(DeepCNN()) == convs + batchnorm + fc


def test_mlp_parameter_count_by_hand():
    d = 3 * 64 * 32
    assert count_parameters(MLP((64, 32))) == (d * 256 + 256) + (256 * 128 + 128) + (128 * 8 + 8)


def test_count_parameters_trainable_only():
    model = BaselineCNN()
    model.classifier.requires_grad_(False)
    assert count_parameters(model) == 16104 - 2056
    assert count_parameters(model, trainable_only=False) == 16104


@pytest.mark.parametrize("name", ["baseline", "deep", "mlp"])
def test_summary_rows_add_up(name):
    model = build_model(name, (64, 32))
    table = summarize(model, (64, 32))
    assert table["params"].sum() == count_parameters(model)
    assert table["output"].iloc[-1] == (8,)
    assert model.training  # summarize restores the mode


def test_summary_shapes_and_dense_equivalent_of_baseline():
    table = summarize(BaselineCNN(), (64, 32)).set_index("layer")
    assert table.loc["features.0", "output"] == (16, 64, 32)
    assert table.loc["features.2", "output"] == (16, 32, 16)
    assert table.loc["features.6", "output"] == (32, 4, 2)
    n_in, n_out = 3 * 64 * 32, 16 * 64 * 32
    assert table.loc["features.0", "dense_params"] == n_in * n_out + n_out
    assert table.loc["classifier.1", "dense_params"] == table.loc["classifier.1", "params"] == 2056


def test_eval_mode_is_deterministic_and_train_step_is_finite():
    torch.manual_seed(0)
    model = DeepCNN()
    x, y = torch.randn(4, 3, 64, 32), torch.tensor([0, 3, 5, 7])
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
    model.train()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model 'vgg'; choose one of baseline, deep"):
        build_model("vgg", (64, 32))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_minimum_image_size_per_model(name):
    size = MIN_IMAGE_SIZE[name]
    shape = input_shape(size)
    check_image_size(name, size)
    build_model(name, shape).train()(torch.zeros(2, 3, *shape))  # runs at the minimum
    with pytest.raises(ValueError, match=f"--image-size {size - 1} is too small for --model {name}"):
        check_image_size(name, size - 1)
    if size > 16:  # below the minimum the forward pass itself fails
        with pytest.raises(RuntimeError):
            build_model(name, input_shape(size - 1)).eval()(torch.zeros(1, 3, *input_shape(size - 1)))


def test_resnet18_batch_of_one_needs_a_larger_image():
    limit = MIN_IMAGE_SIZE_BATCH_OF_ONE["resnet18"]
    with pytest.raises(ValueError, match="cannot train on a batch of one image"):
        check_image_size("resnet18", limit - 1, smallest_batch=1)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        build_model("resnet18", input_shape(limit - 1)).train()(torch.zeros(1, 3, *input_shape(limit - 1)))
    check_image_size("resnet18", limit, smallest_batch=1)
    build_model("resnet18", input_shape(limit)).train()(torch.zeros(1, 3, *input_shape(limit)))


def test_build_network_channels_last_weights_and_preprocess_output():
    """What train.py asks for on CUDA, checked on the CPU: 4-d weights and the float input of the first
    convolution in channels_last; the same numbers as the default layout; a checkpoint loads either way."""
    torch.manual_seed(0)
    plain = build_network("deep", 32, [0.5] * 3, [0.25] * 3).eval()
    fast = build_network("deep", 32, [0.5] * 3, [0.25] * 3, channels_last=True).eval()
    fast.load_state_dict(plain.state_dict())
    assert not plain[0].channels_last and fast[0].channels_last and isinstance(fast[0], Preprocess)
    convs = [p for p in fast.parameters() if p.dim() == 4]
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) for p in convs)
    assert not plain.get_parameter("1.features.0.weight").is_contiguous(memory_format=torch.channels_last)
    images = torch.randint(0, 256, (2, 3, *input_shape(32)), dtype=torch.uint8)
    assert fast[0](images).is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        torch.testing.assert_close(fast(images), plain(images))
    ckpt = {"model_name": "deep", "image_size": 32, "norm": {"mean": [0.5] * 3, "std": [0.25] * 3},
            "model": plain.state_dict()}
    loaded = model_from_checkpoint(ckpt, torch.device("cpu"), channels_last=True)
    assert loaded[0].channels_last
    assert loaded.get_parameter("1.features.0.weight").is_contiguous(memory_format=torch.channels_last)
