"""Tunes a small PyTorch MLP on scikit-learn's bundled 8x8 digits (no download).

Hyperparameters come from dlkit.get_parameter(); each epoch reports the test accuracy
(the objective) and the test loss, and the last accuracy is the trial's final result.
Runs by hand too: `/usr/bin/python3 train.py` uses the defaults below and prints the
reports as `[dlkit] ...` lines. One trial takes a few seconds on one CPU thread.
"""
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import dlkit

DEFAULTS = {
    "batch_size": 32,
    "lr": 0.01,
    "momentum": 0.9,
    "epochs": 5,
    "hidden_size": 64,
}
SEED = 0  # the data split and the weight init: trials differ only by their parameters


def load_data():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixels are 0..16
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.25, random_state=SEED, stratify=digits.target)
    return (torch.from_numpy(x_train), torch.from_numpy(y_train).long(),
            torch.from_numpy(x_test), torch.from_numpy(y_test).long())


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(dim=1) == y).float().mean().item()
    return loss, acc


def main():
    torch.set_num_threads(1)  # trials run side by side: one core each
    torch.manual_seed(SEED)
    params = dict(DEFAULTS)
    params.update(dlkit.get_parameter())
    batch_size = int(params["batch_size"])
    epochs = int(params["epochs"])

    x_train, y_train, x_test, y_test = load_data()
    model = nn.Sequential(
        nn.Linear(64, int(params["hidden_size"])),
        nn.ReLU(),
        nn.Linear(int(params["hidden_size"]), 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=float(params["lr"]),
                                momentum=float(params["momentum"]))
    generator = torch.Generator().manual_seed(SEED)

    acc = 0.0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
        test_loss, acc = evaluate(model, x_test, y_test)
        dlkit.report_intermediate_result(acc)
        dlkit.report_loss(test_loss)
        if dlkit.should_stop():  # an assessor judged this trial hopeless: stop early
            break
    dlkit.report_final_result(acc)


if __name__ == "__main__":
    main()
