"""The book's own binary inference engine, from bits to a compiled network.

- :mod:`~bnnbook.engine.bits`: bit-packing, popcount and binary dot products in NumPy
  (no TensorFlow).
- :mod:`~bnnbook.engine.blocks`: a Keras (Larq) model read into blocks, run on bits in
  NumPy.
- :mod:`~bnnbook.engine.kernels`: the XNOR-popcount kernels, compiled by Numba.
- :mod:`~bnnbook.engine.packed`: a packed model, its file and its ``predict``.
- :mod:`~bnnbook.engine.instructions`: the bit-counting instructions in the kernels'
  machine code.
"""
