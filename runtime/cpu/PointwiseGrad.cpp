//===- PointwiseGrad.cpp - Plane kernels for the commonest pointwise ops --===//

#include "runtime/cpu/PointwiseGrad.h"

namespace sstep::cpu {
namespace {

/// Where an operand's values lie for output plane p, row y: a row of an
/// image block, or one value for the plane (per channel, or one in all).
struct Source {
  const float *data = nullptr;
  bool image = false;
  int64_t channels = 1;
  int64_t offset = 0, rowStride = 0, planeStride = 0;

  const float *row(int64_t p, int64_t y) const {
    return data + offset + p * planeStride + y * rowStride;
  }
  double value(int64_t p) const { return data[p % channels]; }
};

/// An image block of `shape` over `region`, read (or written) over `out`:
/// the same images and channels, and containing `out`.
std::optional<Source> imageSource(const Tensor &t, const Region &region,
                                  const Region &out, int64_t n, int64_t c) {
  if (t.rank() != 4 || t.dim(0) != n || t.dim(1) != c ||
      !region.contains(out) || t.dim(2) != region.axes[0].size() ||
      t.dim(3) != region.axes[1].size())
    return std::nullopt;
  Source s;
  s.data = t.data.data();
  s.image = true;
  s.rowStride = t.dim(3);
  s.planeStride = t.dim(2) * t.dim(3);
  s.offset = (out.axes[0].lo - region.axes[0].lo) * s.rowStride +
             (out.axes[1].lo - region.axes[1].lo);
  return s;
}

/// A constant of one value, or of one per channel of `c`.
std::optional<Source> constantSource(const Tensor &t, int64_t c) {
  Source s;
  s.data = t.data.data();
  if (t.size() == 1)
    return s;
  const Shape &d = t.shape;
  const size_t r = d.size();
  if (r < 3 || r > 4 || d[r - 1] != 1 || d[r - 2] != 1 || d[r - 3] != c ||
      (r == 4 && d[0] != 1))
    return std::nullopt;
  s.channels = c;
  return s;
}

/// The images and channels of the first image operand.
std::optional<std::pair<int64_t, int64_t>>
imagesAndChannels(const std::vector<const Tensor *> &in,
                  const std::vector<bool> &spatial) {
  for (size_t i = 0; i < in.size(); ++i)
    if (spatial[i] && in[i]->rank() == 4)
      return std::make_pair(in[i]->dim(0), in[i]->dim(1));
  return std::nullopt;
}

/// Every operand as a Source, or nothing if one has another shape.
std::optional<std::vector<Source>>
sourcesOf(const std::vector<const Tensor *> &in,
          const std::vector<bool> &spatial, const std::vector<Region> &regions,
          const Region &out) {
  auto nc = imagesAndChannels(in, spatial);
  if (!nc)
    return std::nullopt;
  std::vector<Source> sources;
  for (size_t i = 0; i < in.size(); ++i) {
    auto s = spatial[i]
                 ? imageSource(*in[i], regions[i], out, nc->first, nc->second)
                 : constantSource(*in[i], nc->second);
    if (!s)
      return std::nullopt;
    sources.push_back(*s);
  }
  return sources;
}

Shape outShape(const std::vector<const Tensor *> &in,
               const std::vector<bool> &spatial, const Region &out) {
  auto nc = imagesAndChannels(in, spatial);
  return {nc->first, nc->second, out.axes[0].size(), out.axes[1].size()};
}

template <typename F> Tensor planes(const Shape &shape, F rowFn) {
  Tensor out(shape);
  const int64_t h = shape[2], w = shape[3];
  reference::parallelFor(shape[0] * shape[1], [&](int64_t p) {
    for (int64_t y = 0; y < h; ++y)
      rowFn(p, y, out.data.data() + (size_t((p * h + y) * w)), w);
  });
  return out;
}

/// a op b over one row; the op's switch outside the loop. In float: one
/// add, subtract or multiply of two floats rounds to the same float
/// whether computed in float or in double and rounded once, and float
/// loops run twice the lanes.
template <typename Op>
void binaryRow(const Source &a, const Source &b, int64_t p, int64_t y, float *o,
               int64_t w, Op op) {
  if (a.image && b.image) {
    const float *pa = a.row(p, y), *pb = b.row(p, y);
    for (int64_t x = 0; x < w; ++x)
      o[x] = op(pa[x], pb[x]);
  } else if (a.image) {
    const float *pa = a.row(p, y);
    const float vb = float(b.value(p));
    for (int64_t x = 0; x < w; ++x)
      o[x] = op(pa[x], vb);
  } else {
    const float va = float(a.value(p));
    const float *pb = b.row(p, y);
    for (int64_t x = 0; x < w; ++x)
      o[x] = op(va, pb[x]);
  }
}

bool isBinary(const std::string &op) {
  return op == "add" || op == "sub" || op == "mul";
}

/// An image operand's gradient over row y of plane p, in float (as
/// binaryRow, the same bits as in double rounded once: a product of two
/// floats is exact in double).
void imageGradRow(const std::string &op, double sign, const Source *other,
                  const reference::VjpArgs &a, int64_t p, int64_t y, int64_t w,
                  float *row) {
  const Shape &shape = a.grad.shape;
  const size_t at = size_t((p * shape[2] + y) * shape[3]);
  const float *g = a.grad.data.data() + at;
  if (op == "relu") {
    const float *r = a.result.data.data() + at;
    for (int64_t x = 0; x < w; ++x)
      row[x] = r[x] > 0 ? g[x] : 0.0f;
  } else if (op != "mul") {
    const float s = float(sign);
    for (int64_t x = 0; x < w; ++x)
      row[x] = s * g[x];
  } else if (other->image) {
    const float *o = other->row(p, y);
    for (int64_t x = 0; x < w; ++x)
      row[x] = g[x] * o[x];
  } else {
    const float v = float(other->value(p));
    for (int64_t x = 0; x < w; ++x)
      row[x] = g[x] * v;
  }
}

} // namespace

std::optional<Tensor> pointwiseForward(const Node &node,
                                       const std::vector<PointwiseOperand> &in,
                                       const Region &out) {
  const std::string &op = node.op;
  if (!(isBinary(op) && in.size() == 2) && !(op == "relu" && in.size() == 1))
    return std::nullopt;
  std::vector<const Tensor *> tensors;
  std::vector<bool> spatial;
  std::vector<Region> regions;
  for (const PointwiseOperand &o : in) {
    if (o.tensor->data.empty())
      return std::nullopt;
    tensors.push_back(o.tensor);
    spatial.push_back(o.spatial);
    regions.push_back(o.region);
  }
  auto s = sourcesOf(tensors, spatial, regions, out);
  if (!s || (op != "relu" && !(*s)[0].image && !(*s)[1].image) ||
      (op == "relu" && !(*s)[0].image))
    return std::nullopt;
  const Source &a = (*s)[0];
  Shape shape = outShape(tensors, spatial, out);
  if (op == "relu")
    return planes(shape, [&](int64_t p, int64_t y, float *o, int64_t w) {
      const float *pa = a.row(p, y);
      for (int64_t x = 0; x < w; ++x)
        o[x] = pa[x] > 0 ? pa[x] : 0.0f;
    });
  const Source &b = (*s)[1];
  auto rows = [&](auto f) {
    return planes(shape, [&](int64_t p, int64_t y, float *o, int64_t w) {
      binaryRow(a, b, p, y, o, w, f);
    });
  };
  if (op == "add")
    return rows([](float x, float y) { return x + y; });
  if (op == "sub")
    return rows([](float x, float y) { return x - y; });
  return rows([](float x, float y) { return x * y; });
}

std::optional<std::vector<Tensor>> pointwiseVjp(const reference::VjpArgs &a) {
  const std::string &op = a.node.op;
  const bool binary = isBinary(op) && a.in.size() == 2;
  if (!binary && !(op == "relu" && a.in.size() == 1))
    return std::nullopt;
  const Region &out = a.out.region;
  std::vector<bool> spatial;
  std::vector<Region> regions;
  for (size_t i = 0; i < a.in.size(); ++i) {
    spatial.push_back(a.node.window->spatial[i]);
    regions.push_back(a.placed[i].region);
  }
  auto s = sourcesOf(a.in, spatial, regions, out);
  if (!s || a.grad.shape != outShape(a.in, spatial, out))
    return std::nullopt;
  // mul reads the other operand's values, relu its result, add and sub
  // nothing (their VjpRules, from the compiler).
  for (size_t i = 0; i < a.in.size(); ++i)
    if (op == "mul" && a.in[i]->data.empty())
      return std::nullopt;
  if (op == "relu" && a.result.shape != a.grad.shape)
    return std::nullopt;
  const Shape &shape = a.grad.shape;
  const int64_t planesCount = shape[0] * shape[1], h = shape[2], w = shape[3];
  std::vector<Tensor> grads(a.in.size());
  for (size_t i = 0; i < a.in.size(); ++i) {
    if (!a.wanted[i])
      continue;
    const Source *other = binary ? &(*s)[1 - i] : nullptr;
    const double sign = op == "sub" && i == 1 ? -1.0 : 1.0;
    // d(result)/d(operand i) times dy at one element of row y of plane p.
    auto gradRow = [&](int64_t p, int64_t y, auto &&use) {
      const float *g = a.grad.data.data() + (size_t((p * h + y) * w));
      if (op == "relu") {
        const float *r = a.result.data.data() + (size_t((p * h + y) * w));
        for (int64_t x = 0; x < w; ++x)
          use(x, r[x] > 0 ? double(g[x]) : 0.0);
      } else if (op != "mul") {
        for (int64_t x = 0; x < w; ++x)
          use(x, sign * double(g[x]));
      } else if (other->image) {
        const float *o = other->row(p, y);
        for (int64_t x = 0; x < w; ++x)
          use(x, double(g[x]) * double(o[x]));
      } else {
        const double v = other->value(p);
        for (int64_t x = 0; x < w; ++x)
          use(x, double(g[x]) * v);
      }
    };
    if ((*s)[i].image) {
      Tensor dx(a.in[i]->shape);
      Source d = (*s)[i];
      reference::parallelFor(planesCount, [&](int64_t p) {
        for (int64_t y = 0; y < h; ++y)
          imageGradRow(op, sign, other, a, p, y, w,
                       dx.data.data() + d.offset + p * d.planeStride +
                           y * d.rowStride);
      });
      grads[i] = std::move(dx);
      continue;
    }
    // A constant's gradient: fp64 sums per plane, then over the images in
    // order, so that two runs give the same bits.
    std::vector<double> sums(size_t(planesCount), 0.0);
    reference::parallelFor(planesCount, [&](int64_t p) {
      double sum = 0;
      for (int64_t y = 0; y < h; ++y)
        gradRow(p, y, [&](int64_t, double v) { sum += v; });
      sums[size_t(p)] = sum;
    });
    Tensor dc(a.in[i]->shape);
    std::vector<double> total(size_t((*s)[i].channels), 0.0);
    for (int64_t p = 0; p < planesCount; ++p)
      total[size_t(p % (*s)[i].channels)] += sums[size_t(p)];
    for (size_t c = 0; c < total.size(); ++c)
      dc.data[c] = float(total[c]);
    grads[i] = std::move(dc);
  }
  return grads;
}

} // namespace sstep::cpu
