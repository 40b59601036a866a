"""Lockstep's golden generator: records PyTorch optimizer trajectories into HDF5 fixtures.

`cases.py` declares what to record, `record.py` runs torch, `writer.py` writes the file,
`cli.py` is the command behind `tools/golden`.
"""
