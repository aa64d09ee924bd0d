//===- ModelLoader.h - Read ONNX models from disk ---------------*- C++ -*-===//
//
// Reads an ONNX model in binary protobuf form (.onnx, up to protobuf's 2 GiB
// limit, with external data files beside it) or in ONNX's textual syntax
// (.onnxtxt, used by the lit tests), and checks it with ONNX's checker.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_FRONTENDS_ONNX_MODELLOADER_H
#define SSTEP_FRONTENDS_ONNX_MODELLOADER_H

#include "onnx/onnx_pb.h"

#include <stdexcept>
#include <string>

namespace sstep::onnx_import {

/// Bad input: a model that cannot be read or holds something SSTEP does not
/// support. The message names the file, node, op type or tensor at fault;
/// tools report it and exit with code 2.
class ImportError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A node whose output SSTEP cannot state alone but a later node may absorb
/// (HoVer-Net's unpooling reshapes a matrix product back to an image with
/// sizes of another value): its outputs are left pending with this message,
/// which is reported if nothing absorbs them.
class DeferredImport : public ImportError {
public:
  using ImportError::ImportError;
};

/// A model whose semantics fix a size that the import made dynamic
/// (ConvTranspose output_shape, SAME padding with stride > 1): it imports only
/// with ImportOptions::staticShapes, and then runs only at its declared size.
class StaticShapeRequired : public ImportError {
public:
  using ImportError::ImportError;
};

/// Loads and checks the model at `path`; external tensor data is read into the
/// tensors so that the model is self-contained afterwards.
onnx::ModelProto loadModel(const std::string &path);

/// Parses a model from ONNX's textual syntax; `name` is used in messages.
onnx::ModelProto parseModelText(const std::string &text,
                                const std::string &name);

} // namespace sstep::onnx_import

#endif // SSTEP_FRONTENDS_ONNX_MODELLOADER_H
