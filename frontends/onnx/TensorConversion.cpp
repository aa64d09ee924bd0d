//===- TensorConversion.cpp - ONNX tensors to MLIR constants --------------===//

#include "frontends/onnx/NodeContext.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

#include <cstring>

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// Copies `count` elements of type T from raw little-endian bytes (x86 and
/// ARM hosts are little-endian, as ONNX's raw_data is).
template <typename T>
std::vector<T> fromRaw(const std::string &raw, int64_t count,
                       const std::string &where) {
  if (raw.size() != size_t(count) * sizeof(T))
    throw ImportError(where + ": raw data holds " + std::to_string(raw.size()) +
                      " bytes, the shape needs " +
                      std::to_string(count * int64_t(sizeof(T))));
  std::vector<T> values(count);
  std::memcpy(values.data(), raw.data(), raw.size());
  return values;
}

template <typename T, typename Field>
std::vector<T> fromField(const Field &field, int64_t count,
                         const std::string &where) {
  if (field.size() != count)
    throw ImportError(where + ": holds " + std::to_string(field.size()) +
                      " values, the shape needs " + std::to_string(count));
  return std::vector<T>(field.begin(), field.end());
}

} // namespace

Type elementTypeOf(MLIRContext &context, int32_t onnxType) {
  Builder b(&context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return nullptr;
  }
}

DenseElementsAttr tensorToAttr(MLIRContext &context,
                               const onnx::TensorProto &tensor,
                               const std::string &where) {
  Type element = elementTypeOf(context, tensor.data_type());
  if (!element)
    throw ImportError(where + ": unsupported tensor element type " +
                      onnx::TensorProto::DataType_Name(
                          onnx::TensorProto::DataType(tensor.data_type())));
  std::vector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      throw ImportError(where + ": negative dimension in a constant");
    count *= d;
  }
  auto type = RankedTensorType::get(shape, element);
  const std::string &raw = tensor.raw_data();
  bool isRaw = tensor.has_raw_data();

  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    return DenseElementsAttr::get(
        type, ArrayRef<float>(
                  isRaw ? fromRaw<float>(raw, count, where)
                        : fromField<float>(tensor.float_data(), count, where)));
  case onnx::TensorProto::DOUBLE:
    return DenseElementsAttr::get(
        type, ArrayRef<double>(isRaw ? fromRaw<double>(raw, count, where)
                                     : fromField<double>(tensor.double_data(),
                                                         count, where)));
  case onnx::TensorProto::INT64:
    return DenseElementsAttr::get(
        type, ArrayRef<int64_t>(isRaw ? fromRaw<int64_t>(raw, count, where)
                                      : fromField<int64_t>(tensor.int64_data(),
                                                           count, where)));
  case onnx::TensorProto::INT32:
    return DenseElementsAttr::get(
        type, ArrayRef<int32_t>(isRaw ? fromRaw<int32_t>(raw, count, where)
                                      : fromField<int32_t>(tensor.int32_data(),
                                                           count, where)));
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    // Half types arrive as raw bytes or as 16-bit patterns in int32_data.
    std::vector<uint16_t> bits =
        isRaw ? fromRaw<uint16_t>(raw, count, where)
              : fromField<uint16_t>(tensor.int32_data(), count, where);
    std::vector<APFloat> values;
    values.reserve(bits.size());
    const llvm::fltSemantics &sem =
        cast<FloatType>(element).getFloatSemantics();
    for (uint16_t v : bits)
      values.emplace_back(sem, APInt(16, v));
    return DenseElementsAttr::get(type, values);
  }
  case onnx::TensorProto::BOOL: {
    std::vector<uint8_t> bytes =
        isRaw ? fromRaw<uint8_t>(raw, count, where)
              : fromField<uint8_t>(tensor.int32_data(), count, where);
    llvm::SmallVector<bool> values(bytes.begin(), bytes.end());
    return DenseElementsAttr::get(type, ArrayRef<bool>(values));
  }
  default:
    break;
  }
  throw ImportError(where + ": unsupported tensor element type");
}

} // namespace sstep::onnx_import
