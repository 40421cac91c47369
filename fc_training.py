"""Train a FullyConnectedNet with the Solver on a data dict, and rebuild a trained net from its shape.

The one training entry point of the library side: ``keypoint_trainer`` and the notebook helpers in
``experiments`` both call ``train_fc``; ``architecture_of`` and ``model_from`` save and rebuild a net.
"""
import numpy as np

from fc_net import FullyConnectedNet
from mds189_constants import NUM_CLASSES
from solver import Solver


def train_fc(data, hidden_dims, learning_rate=1e-3, lr_decay=0.95, batch_size=64, weight_scale=1e-2,
             num_epochs=20, update_rule="adam", reg=0.0, seed=0, num_classes=NUM_CLASSES, dtype=np.float64,
             print_every=None):
    """Train a FullyConnectedNet on a data dict with the Solver (the best validation epoch is kept).

    Inputs:
    - data: dict with X_train (N, D), y_train (N,), X_val (N_val, D), y_val (N_val,)
    - hidden_dims: list of hidden layer sizes
    - learning_rate, lr_decay, batch_size, weight_scale, num_epochs, update_rule, reg: as in
      FullyConnectedNet and Solver
    - seed: seeds the weights and the Solver's minibatches
    - num_classes: C, the number of classes (the 8 MDS189 movements by default)
    - dtype: the net's float type (float64 for exact gradients, float32 for speed; the Solver casts the
      data to it)
    - print_every: print the training loss every this many iterations; None trains silently

    Returns the trained Solver (its .model holds the best parameters).
    """
    model = FullyConnectedNet(hidden_dims, input_dim=data["X_train"].shape[1], num_classes=num_classes,
                              reg=reg, weight_scale=weight_scale, dtype=dtype, seed=seed)
    solver = Solver(model, data, update_rule=update_rule, optim_config={"learning_rate": learning_rate},
                    lr_decay=lr_decay, batch_size=batch_size, num_epochs=num_epochs,
                    verbose=print_every is not None, print_every=print_every, seed=seed)
    solver.train()
    return solver


def architecture_of(model):
    """The FullyConnectedNet kwargs that rebuild a net of the model's shape (load its params into it).

    Inputs:
    - model: a FullyConnectedNet

    Returns a dict with hidden_dims (read off the weight shapes), input_dim, num_classes, normalization,
    reg and dtype.
    """
    hidden_dims = [int(model.params[f"W{l}"].shape[1]) for l in range(1, model.num_layers)]
    return {"hidden_dims": hidden_dims, "input_dim": model.input_dim, "num_classes": model.num_classes,
            "normalization": model.normalization, "reg": model.reg, "dtype": model.dtype}


def model_from(architecture, params):
    """A FullyConnectedNet of the given shape holding copies of the given parameters.

    Inputs:
    - architecture: dict from architecture_of
    - params: dict of parameter arrays (W1, b1, ...) of a net of that shape

    Returns the FullyConnectedNet (its drawn weights are replaced; seed 0 leaves np.random's global
    state alone).
    """
    model = FullyConnectedNet(**architecture, seed=0)
    if set(params) != set(model.params):
        raise ValueError(f"parameters {sorted(params)} do not fit a net with {sorted(model.params)}")
    model.params = {k: np.array(v, dtype=model.dtype) for k, v in params.items()}
    return model
