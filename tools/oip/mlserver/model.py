"""A detection model for MLServer (Seldon's Open Inference Protocol server), run with ONNX Runtime:
the second implementation of the protocol that Walkaround's workers are checked against
(tools/oip/mlserver/run.sh, InferenceProtocolTests). It serves the ONNX file's first input and
output under their own names, as Triton's or KServe's ONNX runtimes would.
"""
import numpy as np
import onnxruntime
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.errors import MLServerError
from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor


class OnnxDetector(MLModel):
    async def load(self) -> bool:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(self.settings.parameters.uri, options, providers=["CPUExecutionProvider"])
        described = lambda tensor: MetadataTensor(  # noqa: E731
            name=tensor.name, datatype="FP32", shape=[d if isinstance(d, int) else -1 for d in tensor.shape])
        self.inputs = [described(self.session.get_inputs()[0])]
        self.outputs = [described(self.session.get_outputs()[0])]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        if len(payload.inputs) != 1 or payload.inputs[0].name != self.inputs[0].name:
            raise MLServerError(f"expected one input named {self.inputs[0].name}", status_code=400)
        tensor = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32)
        output = self.session.run(None, {self.inputs[0].name: tensor})[0]
        return InferenceResponse(model_name=self.name, outputs=[NumpyCodec.encode_output(self.outputs[0].name, output)])
