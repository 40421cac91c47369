import pytest
import torch

from problem4.models import MLP, MODELS, BaselineCNN, DeepCNN, build_model, count_parameters, summarize


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
