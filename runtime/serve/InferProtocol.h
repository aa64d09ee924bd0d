//===- InferProtocol.h - Open Inference Protocol infer messages --*- C++
//-*-===//
//
// The KServe v2 infer request and response, which Triton and KServe clients
// send unchanged. A request is JSON; with the binary tensor data extension
// its first Inference-Header-Content-Length bytes are the JSON and the rest
// the raw little-endian bytes of the inputs that name a binary_data_size, in
// the order they are listed:
//
//   {"id": "7",
//    "inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 3, 2, 2],
//                "parameters": {"binary_data_size": 48}}],
//    "outputs": [{"name": "output", "parameters": {"binary_data": true}}]}
//   <48 bytes>
//
// The response lists the outputs asked for (all, when none are), each with
// its data in JSON or, when asked for binary, after the JSON header in the
// same way. Plans take FP32 tensors; anything malformed is a ProtocolError
// with the HTTP status 400 and a message naming the input.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SERVE_INFERPROTOCOL_H
#define SSTEP_RUNTIME_SERVE_INFERPROTOCOL_H

#include "runtime/core/Program.h"
#include "runtime/core/Tensor.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sstep::serve {

/// A request refused: the HTTP status to answer with, and why.
struct ProtocolError : std::runtime_error {
  ProtocolError(int status, const std::string &message)
      : std::runtime_error(message), status(status) {}
  int status;
};

/// A model input as metadata states it: -1 marks a dynamic dimension.
struct TensorSpec {
  std::string name;
  Shape shape;
};

/// A program's inputs and outputs as metadata states them.
std::vector<TensorSpec> inputSpecsOf(const Program &program);
std::vector<TensorSpec> outputSpecsOf(const Program &program);

struct InferRequest {
  std::string id;
  /// In the model's input order.
  std::vector<Tensor> inputs;
  /// The model outputs to return, in the order to return them, and
  /// whether each goes as binary data.
  std::vector<size_t> outputs;
  std::vector<bool> binary;
};

/// Parses `body`; `headerLength` is the Inference-Header-Content-Length
/// header's value when the request has one. `inputs` and `outputs` are the
/// model's.
InferRequest parseInferRequest(std::string_view body,
                               std::optional<size_t> headerLength,
                               const std::vector<TensorSpec> &inputs,
                               const std::vector<std::string> &outputs);

struct InferResponse {
  std::string body;
  /// Set when binary data follows a JSON header of this many bytes.
  std::optional<size_t> headerLength;
};

/// The response for `request` with the model's `results` (all outputs, in
/// the model's order) named `outputNames`.
InferResponse encodeInferResponse(const std::string &model,
                                  const InferRequest &request,
                                  const std::vector<std::string> &outputNames,
                                  const std::vector<Tensor> &results);

/// The JSON metadata of a model (GET /v2/models/{name}).
std::string modelMetadata(const std::string &name,
                          const std::vector<TensorSpec> &inputs,
                          const std::vector<TensorSpec> &outputs);

/// {"error": message}, the protocol's error body.
std::string errorBody(const std::string &message);

} // namespace sstep::serve

#endif // SSTEP_RUNTIME_SERVE_INFERPROTOCOL_H
