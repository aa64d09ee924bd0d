//===- MatrixKernel.cpp - Reference gemm and matmul -----------------------===//
//
// Textbook triple loops with fp64 dot products. Gemm's C and matmul's batch
// dimensions broadcast through strides that are 0 where they stretch.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

namespace sstep::reference {
namespace {

std::vector<Tensor> gemm(const Node &node, const Operands &in) {
  const Tensor &a = *in[0], &b = *in[1];
  bool transA = node.getInt("transA") != 0, transB = node.getInt("transB") != 0;
  Tensor out(checkRule(node, shape::gemm(a.shape, b.shape, transA, transB)));
  double alpha = node.getFloat("alpha"), beta = node.getFloat("beta");
  Tensor c = in.size() > 2 ? broadcastTo(node, *in[2], out.shape, "C")
                           : Tensor(out.shape);
  int64_t m = out.dim(0), n = out.dim(1), k = transA ? a.dim(0) : a.dim(1);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t p = 0; p < k; ++p)
        dot += double(a.data[transA ? p * m + i : i * k + p]) *
               b.data[transB ? j * k + p : p * n + j];
      out.data[i * n + j] = float(alpha * dot + beta * c.data[i * n + j]);
    }
  return {std::move(out)};
}

/// The operands as batches of matrices: 1-D ones promoted as NumPy does.
struct MatMulShapes {
  Shape a, b, batch;
  int64_t m, k, n;
};

MatMulShapes matmulShapes(const Node &node, const Shape &a, const Shape &b) {
  checkRule(node, shape::matmul(a, b)); // validates before any indexing
  MatMulShapes s;
  s.a = a.size() == 1 ? Shape{1, a[0]} : a;
  s.b = b.size() == 1 ? Shape{b[0], 1} : b;
  s.m = s.a[s.a.size() - 2];
  s.k = s.a.back();
  s.n = s.b.back();
  s.batch =
      checkRule(node, shape::broadcast(Shape(s.a.begin(), s.a.end() - 2),
                                       Shape(s.b.begin(), s.b.end() - 2)));
  return s;
}

std::vector<Tensor> matmul(const Node &node, const Operands &in) {
  const Tensor &a = *in[0], &b = *in[1];
  MatMulShapes s = matmulShapes(node, a.shape, b.shape);
  Tensor out(checkRule(node, shape::matmul(a.shape, b.shape)));
  Shape batchA(s.a.begin(), s.a.end() - 2), batchB(s.b.begin(), s.b.end() - 2);
  std::vector<int64_t> strideA = broadcastStrides(batchA, s.batch);
  std::vector<int64_t> strideB = broadcastStrides(batchB, s.batch);
  int64_t batches = numElements(s.batch), mk = s.m * s.k, kn = s.k * s.n;
  for (int64_t t = 0; t < batches; ++t) {
    const float *pa = a.data.data() + (offsetAt(t, s.batch, strideA) * mk);
    const float *pb = b.data.data() + (offsetAt(t, s.batch, strideB) * kn);
    float *po = out.data.data() + (t * s.m * s.n);
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) {
        double dot = 0;
        for (int64_t p = 0; p < s.k; ++p)
          dot += double(pa[i * s.k + p]) * pb[p * s.n + j];
        po[i * s.n + j] = float(dot);
      }
  }
  return {std::move(out)};
}

} // namespace

void addMatrixKernels(KernelTable &table) {
  table["gemm"] = gemm;
  table["matmul"] = matmul;
}

} // namespace sstep::reference
