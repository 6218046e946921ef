from bnnbook.progress import epoch_line


def test_epoch_line_gives_loss_accuracies_and_seconds():
    logs = {"loss": 0.05, "accuracy": 0.98, "val_accuracy": 0.99}
    assert epoch_line("float", 2, 6, logs, 21.04) == (
        "float  epoch 2/6  loss 0.0500  accuracy 98.00%  validation 99.00%  21.0 s"
    )


def test_epoch_line_leaves_out_validation_when_there_is_none():
    logs = {"loss": 0.5, "accuracy": 0.9}
    assert epoch_line("tfmot", 1, 1, logs, 3.0) == (
        "tfmot  epoch 1/1  loss 0.5000  accuracy 90.00%  3.0 s"
    )
