//===- FuzzInfer.cpp - Infer requests: a 400 with a message, or tensors ---===//
//
// The bytes are an HTTP body as sstep-serve receives it. If the body holds
// a line "#NNN\n" first, NNN is the Inference-Header-Content-Length header
// and the rest the body (JSON, then binary tensors).

#include "runtime/serve/InferProtocol.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view body(reinterpret_cast<const char *>(data), size);
  std::optional<size_t> headerLength;
  if (!body.empty() && body[0] == '#') {
    size_t end = body.find('\n');
    if (end == std::string_view::npos || end > 12)
      return 0;
    headerLength = std::stoull("0" + std::string(body.substr(1, end - 1)));
    body = body.substr(end + 1);
  }
  const std::vector<sstep::serve::TensorSpec> inputs = {{"x", {1, 3, -1, -1}},
                                                        {"m", {1, 1, -1, -1}}};
  const std::vector<std::string> outputs = {"y", "z"};
  try {
    sstep::serve::InferRequest r =
        sstep::serve::parseInferRequest(body, headerLength, inputs, outputs);
    // What parseInferRequest promises: every input, its data filling its
    // shape, which fits the model's; outputs named by the model.
    if (r.inputs.size() != inputs.size() ||
        r.outputs.size() != r.binary.size() || r.outputs.empty())
      __builtin_trap();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const sstep::Tensor &t = r.inputs[i];
      if (t.shape.size() != 4 || t.shape[1] != inputs[i].shape[1] ||
          sstep::numElements(t.shape) != int64_t(t.data.size()))
        __builtin_trap();
    }
    for (size_t o : r.outputs)
      if (o >= outputs.size())
        __builtin_trap();
  } catch (const sstep::serve::ProtocolError &e) {
    if (e.status != 400 || std::string(e.what()).empty())
      __builtin_trap();
  }
  return 0;
}
