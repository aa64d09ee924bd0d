//===- ModelLoader.cpp - Read ONNX models from disk -----------------------===//

#include "frontends/onnx/ModelLoader.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <climits>
#include <fstream>
#include <sstream>

namespace sstep::onnx_import {
namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ImportError(path + ": cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

/// Binary protobuf unless the text begins (after blanks and comments) with
/// ONNX text syntax's model header '<'.
bool looksLikeText(const std::string &bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    char c = bytes[i];
    if (c == '#') {
      while (i < bytes.size() && bytes[i] != '\n')
        ++i;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else {
      return c == '<';
    }
  }
  return false;
}

/// Moves a tensor's external data (location/offset/length entries) into its
/// raw_data, reading from `baseDir`.
void loadExternalData(onnx::TensorProto &tensor, const std::string &baseDir,
                      const std::string &modelPath) {
  std::string location;
  long long offset = 0, length = -1;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = std::stoll(entry.value());
    else if (entry.key() == "length")
      length = std::stoll(entry.value());
  }
  std::string where = modelPath + ": tensor '" + tensor.name() + "'";
  if (location.empty() || location.find("..") != std::string::npos ||
      location[0] == '/')
    throw ImportError(where + ": bad external data location '" + location +
                      "'");
  std::string file = baseDir + "/" + location;
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ImportError(where + ": cannot open external data file " + file);
  in.seekg(0, std::ios::end);
  long long size = in.tellg();
  if (length < 0)
    length = size - offset;
  if (offset < 0 || offset + length > size)
    throw ImportError(where + ": external data [" + std::to_string(offset) +
                      ", +" + std::to_string(length) +
                      ") lies past the end of " + file);
  std::string data(size_t(length), '\0');
  in.seekg(offset);
  in.read(data.data(), length);
  tensor.set_raw_data(std::move(data));
  tensor.clear_external_data();
  tensor.set_data_location(onnx::TensorProto::DEFAULT);
}

void loadAllExternalData(onnx::GraphProto &graph, const std::string &baseDir,
                         const std::string &modelPath) {
  for (auto &tensor : *graph.mutable_initializer())
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
      loadExternalData(tensor, baseDir, modelPath);
  for (auto &node : *graph.mutable_node())
    for (auto &attr : *node.mutable_attribute())
      if (attr.has_t() &&
          attr.t().data_location() == onnx::TensorProto::EXTERNAL)
        loadExternalData(*attr.mutable_t(), baseDir, modelPath);
}

void check(const onnx::ModelProto &model, const std::string &name) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    throw ImportError(name + ": invalid ONNX model: " + e.what());
  }
}

} // namespace

onnx::ModelProto parseModelText(const std::string &text,
                                const std::string &name) {
  onnx::ModelProto model;
  onnx::Common::Status status;
  try {
    status = onnx::OnnxParser::Parse(model, text.c_str());
  } catch (const std::exception &e) {
    // ONNX's parser reads numbers with std::stof and friends, which throw
    // on a malformed literal instead of returning a status.
    throw ImportError(name + ": cannot parse ONNX text: malformed literal (" +
                      e.what() + ")");
  }
  if (!status.IsOK())
    throw ImportError(name +
                      ": cannot parse ONNX text: " + status.ErrorMessage());
  check(model, name);
  return model;
}

onnx::ModelProto loadModel(const std::string &path) {
  std::string bytes = readFile(path);
  if (looksLikeText(bytes))
    return parseModelText(bytes, path);

  if (bytes.size() > size_t(INT_MAX))
    throw ImportError(path + ": larger than protobuf's 2 GiB limit; store the "
                             "weights as external data");
  onnx::ModelProto model;
  google::protobuf::io::ArrayInputStream raw(bytes.data(), int(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    throw ImportError(path + ": not a valid ONNX model (the protobuf does not "
                             "parse: truncated, corrupt or not ONNX)");
  if (!model.has_graph())
    throw ImportError(path + ": not a valid ONNX model (it has no graph)");
  loadAllExternalData(*model.mutable_graph(), directoryOf(path), path);
  check(model, path);
  return model;
}

} // namespace sstep::onnx_import
