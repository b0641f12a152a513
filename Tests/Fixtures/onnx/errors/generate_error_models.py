"""Writes small ONNX models that SteerLens must refuse with one line and exit 65 (never a crash), built
with onnx.helper (no PyTorch needed):
  unsupported_op.onnx      Conv then Erf (an operator SteerLens does not implement), node 'gelu_erf'
  escaping_external.onnx   a Conv weight stored as external data at '../outside.bin'
  missing_external.onnx    a Conv weight stored as external data in 'absent.bin', which does not exist
  unsupported_group.onnx   a grouped convolution (group 2 of 4 channels) after a first Conv, node 'grouped'
Usage: pip install onnx; python3 generate_error_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def conv_graph(extra_nodes, weight, output):
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 8, 8])
    result = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
    conv = helper.make_node("Conv", ["image", "w"], ["features"], name="conv", kernel_shape=[3, 3])
    graph = helper.make_graph([conv] + extra_nodes, "errors", [image], [result], initializer=[weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="generate_error_models.py")


def main():
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    erf = helper.make_node("Erf", ["features"], ["out"], name="gelu_erf")
    onnx.save(conv_graph([erf], weight, "out"), os.path.join(HERE, "unsupported_op.onnx"))

    for name, location in [("escaping_external", "../outside.bin"), ("missing_external", "absent.bin")]:
        external = onnx.TensorProto()
        external.CopyFrom(weight)
        external.ClearField("raw_data")
        external.data_location = TensorProto.EXTERNAL
        for key, value in [("location", location), ("offset", "0"), ("length", str(4 * 3 * 3 * 3 * 4))]:
            entry = external.external_data.add()
            entry.key, entry.value = key, value
        onnx.save(conv_graph([], external, "features"), os.path.join(HERE, f"{name}.onnx"))

    grouped_weight = numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "w2")
    grouped = helper.make_node("Conv", ["features", "w2"], ["out"], name="grouped", kernel_shape=[3, 3], group=2)
    model = conv_graph([grouped], weight, "out")
    model.graph.initializer.append(grouped_weight)
    onnx.save(model, os.path.join(HERE, "unsupported_group.onnx"))


if __name__ == "__main__":
    main()
