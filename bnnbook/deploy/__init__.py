"""Deployment: the book's Keras models as files, and the engines that run them.

- :mod:`~bnnbook.deploy.convert`: TensorFlow Lite float and int8, Larq Compute Engine,
  dense layers as convolutions, and what is inside a flatbuffer.
- :mod:`~bnnbook.deploy.runtimes`: one ``predict`` function per engine.
- :mod:`~bnnbook.deploy.registry`: every engine in one registry (add one there).
- :mod:`~bnnbook.deploy.forms`: every form of the book's two trained models.
"""
