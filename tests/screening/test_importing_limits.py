"""Labelled CSVs and decision files go through the same file checks as record imports."""

import os

import pytest

from alsreview.errors import ImportFormatError
from alsreview.records.labelled import read_labelled_csv


def test_labelled_csv_fifo_refused_not_blocking(tmp_path):
    fifo = tmp_path / "labels.csv"
    os.mkfifo(fifo)
    with pytest.raises(ImportFormatError, match="FIFO"):
        read_labelled_csv(fifo)


def test_labelled_csv_over_the_size_limit_refused(tmp_path, monkeypatch):
    import alsreview.inputs as inputs

    path = tmp_path / "labels.csv"
    path.write_text("title,abstract,label_included\n" + "a,b,1\n" * 200)
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 100)
    with pytest.raises(ImportFormatError, match="more than the limit"):
        read_labelled_csv(path)
