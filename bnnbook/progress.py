"""One line per epoch while a model trains, so a reader sees training move.

Keras's own progress bar redraws itself with carriage returns, which a rendered page
shows as a heap of partial lines; these lines are whole and flushed as they are made.
"""

from __future__ import annotations


def epoch_line(
    name: str,
    epoch: int,
    epochs: int,
    logs: dict[str, float],
    seconds: float,
) -> str:
    """``name``'s epoch ``epoch`` of ``epochs`` in one line: training loss and
    accuracy (``logs["loss"]``, ``logs["accuracy"]``), validation accuracy
    (``logs["val_accuracy"]``, left out when training has no validation split) and
    the epoch's wall time in ``seconds``.

    >>> epoch_line("float", 2, 6, {"loss": 0.05, "accuracy": 0.98,
    ...                            "val_accuracy": 0.99}, 21.04)
    'float  epoch 2/6  loss 0.0500  accuracy 98.00%  validation 99.00%  21.0 s'
    """
    validation = logs.get("val_accuracy")
    return (
        f"{name}  epoch {epoch}/{epochs}  loss {logs['loss']:.4f}  "
        f"accuracy {logs['accuracy']:.2%}  "
        + ("" if validation is None else f"validation {validation:.2%}  ")
        + f"{seconds:.1f} s"
    )


def report(
    name: str, epoch: int, epochs: int, logs: dict[str, float], seconds: float
) -> None:
    """Print :func:`epoch_line` now (flushed: Jupyter shows it before training
    ends)."""
    print(epoch_line(name, epoch, epochs, logs, seconds), flush=True)
