//===- CudaBackend.cpp - The CUDA backend: the tile loop ------------------===//

#include "runtime/cuda/CudaBackend.h"
#include "runtime/cuda/Check.h"
#include "runtime/cuda/CudnnConv.h"
#include "runtime/cuda/DeviceMemory.h"
#include "runtime/cuda/KernelLibrary.h"
#include "runtime/cuda/Layout.h"
#include "runtime/plan/Stages.h"
#include "runtime/reference/Kernels.h"
#include "runtime/reference/ReferenceBackend.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>

namespace sstep::cuda {
namespace {

Precision precisionOf(const KernelModule &module) {
  if (module.precision == "fp16")
    return Precision::F16;
  if (module.precision == "bf16")
    return Precision::BF16;
  return Precision::F32;
}

/// With SSTEP_CUDA_PROFILE set, each phase of a tile synchronises the
/// stream and adds its wall time to a counter (`profile_<phase>_us`), so
/// that a slow run says where its time goes. Off, it costs nothing.
class PhaseTimer {
public:
  PhaseTimer(std::map<std::string, int64_t> *totals, const char *phase,
             cudaStream_t stream)
      : totals(totals), phase(phase), stream(stream) {
    if (totals) {
      cudaStreamSynchronize(stream);
      start = std::chrono::steady_clock::now();
    }
  }
  ~PhaseTimer() {
    if (!totals)
      return;
    cudaStreamSynchronize(stream);
    (*totals)[std::string("profile_") + phase + "_us"] +=
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - start)
            .count();
  }

private:
  std::map<std::string, int64_t> *totals;
  const char *phase;
  cudaStream_t stream;
  std::chrono::steady_clock::time_point start;
};

/// A value's block on the device: NHWC, placed in its image by `region`.
struct DeviceBlock {
  Region region;
  int64_t batch = 1, channels = 1;
  BufferRef buffer;
};

class CudaBackend : public exec::Backend {
public:
  CudaBackend(int threads, uint64_t deviceMemory)
      : memory(deviceMemory), threads(threads) {
    SSTEP_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  }
  ~CudaBackend() override {
    cudaStreamSynchronize(stream);
    tile.clear();
    weights.clear();
    conv.reset();
    library.reset();
    cudaStreamDestroy(stream);
  }

  std::string name() const override { return "cuda"; }

  std::vector<Tensor> runOnce(const Node &node,
                              const std::vector<const Tensor *> &in) override {
    auto kernel = reference::kernels().find(node.op);
    if (kernel == reference::kernels().end())
      throw RuntimeError(node.describe() + ": no kernel for this op");
    return kernel->second(node, in);
  }

  void beginStage(const Program &p, const plan::Stage &stage,
                  const plan::StageSchedule &schedule,
                  const plan::Sizes &s) override;
  void checkReplaceable(const Program &p,
                        const std::vector<int> &values) const override {
    // Small constants read by a generated kernel are compiled into its
    // source (KernelGrouping's kMaxEmbeddedConstant); the plan's fatbin
    // cannot change.
    // An epilogue's convolution runs on cuDNN with weights uploaded at run
    // time (weightsOf); its bias and the rest are the kernel's.
    for (const GeneratedKernel &kernel : p.kernels.kernels)
      for (int id : kernel.nodes)
        for (size_t i = 0; i < p.nodes[id].operands.size(); ++i) {
          int v = p.nodes[id].operands[i];
          bool uploaded =
              kernel.kind == "epilogue" && id == kernel.nodes.front() && i == 1;
          if (!uploaded &&
              std::find(values.begin(), values.end(), v) != values.end())
            throw RuntimeError("weight '" + p.values[v].name +
                               "' is compiled into the plan's CUDA kernels; "
                               "replacing it needs a new plan "
                               "(sstep-compile --target=cuda)");
        }
  }
  void constantsChanged(const std::vector<int> &values) override {
    if (!program)
      return;
    // Uploaded weights are the only device copies of constants.
    for (auto it = weights.begin(); it != weights.end();) {
      const std::vector<int> &reads = program->nodes[it->first].operands;
      bool stale = false;
      for (int v : values)
        stale =
            stale || std::find(reads.begin(), reads.end(), v) != reads.end();
      it = stale ? weights.erase(it) : std::next(it);
    }
  }
  int64_t runTile(const plan::Stage &stage, const plan::TileWindows &w,
                  exec::TileContext &context) override;
  std::map<std::string, int64_t> counters() const override;

private:
  void loadProgram(const Program &p);
  DeviceBlock newBlock(int v, const Region &region, const char *what);
  BufferRef upload(const float *data, int64_t n, int64_t c, int64_t h,
                   int64_t w, const char *what);
  Tensor download(const DeviceBlock &block, const Region &region);
  const DeviceBlock &blockOf(int v);
  DeviceBlock globalBlock(int v);
  const void *weightsOf(int id);
  DeviceBlock runConv(int id);
  DeviceBlock runHost(const Node &node);
  void runKernel(size_t k);
  /// Runs node `id` (not part of a kernel) into the tile.
  void runNode(int id);
  SStepBlock abiOf(const DeviceBlock &block, int v) const;
  /// Waits for the stream, counted: each is a tile's pipeline drained.
  void synchronize() {
    SSTEP_CUDA(cudaStreamSynchronize(stream));
    ++moved.synchronizations;
  }

  DeviceMemory memory;
  int threads;
  cudaStream_t stream = nullptr;
  std::unique_ptr<CudnnConv> conv;
  std::unique_ptr<KernelLibrary> library;
  Precision precision = Precision::F32;
  const Program *program = nullptr;
  const plan::Sizes *sizes = nullptr;
  /// Per node: the kernel computing it, -1 for none.
  std::vector<int> kernelOf;
  /// Per value: the position in the stage after which no node reads it.
  std::map<int, size_t> lastUse;
  std::map<int, BufferRef> weights;
  const plan::TileWindows *w = nullptr;
  exec::TileContext *context = nullptr;
  std::map<int, DeviceBlock> tile;
  int64_t convs = 0, hostNodes = 0;
  /// What crossed between host and device, for --stats: a steady tile
  /// should need one upload, one download per sink and no synchronisation
  /// (today each tile synchronises per sink and once at its end).
  struct {
    int64_t uploads = 0, uploadBytes = 0, downloads = 0, downloadBytes = 0;
    int64_t hostCopyBytes = 0, synchronizations = 0;
  } moved;
  std::map<std::string, int64_t> profile;
  std::map<std::string, int64_t> *profiling =
      std::getenv("SSTEP_CUDA_PROFILE") && *std::getenv("SSTEP_CUDA_PROFILE")
          ? &profile
          : nullptr;
};

void CudaBackend::loadProgram(const Program &p) {
  if (p.kernels.target != "cuda")
    throw RuntimeError("this plan was not compiled for CUDA: compile it with "
                       "sstep-compile --target=cuda (it carries the "
                       "generated kernels)");
  precision = precisionOf(p.kernels);
  library = std::make_unique<KernelLibrary>(p.kernels);
  conv = std::make_unique<CudnnConv>(precision, memory, stream);
  weights.clear();
  kernelOf.assign(p.nodes.size(), -1);
  for (size_t k = 0; k < p.kernels.kernels.size(); ++k)
    for (int id : p.kernels.kernels[k].nodes)
      kernelOf[id] = int(k);
  program = &p;
}

void CudaBackend::beginStage(const Program &p, const plan::Stage &stage,
                             const plan::StageSchedule &,
                             const plan::Sizes &s) {
  if (program != &p)
    loadProgram(p);
  sizes = &s;
  lastUse.clear();
  // A kernel reads its inputs when its last node's turn comes.
  std::map<int, size_t> at;
  for (size_t i = 0; i < stage.tileNodes.size(); ++i) {
    int id = stage.tileNodes[i];
    at[id] = i;
  }
  for (size_t i = 0; i < stage.tileNodes.size(); ++i) {
    int id = stage.tileNodes[i];
    size_t when = i;
    if (kernelOf[id] >= 0)
      when = at[p.kernels.kernels[kernelOf[id]].nodes.back()];
    for (int v : p.nodes[id].operands)
      lastUse[v] = std::max(lastUse[v], when);
  }
  for (int v : stage.sinks)
    lastUse[v] = stage.tileNodes.size();
}

DeviceBlock CudaBackend::newBlock(int v, const Region &region,
                                  const char *what) {
  const Shape &shape = program->values[v].shape;
  if (shape.size() != 4 || shape[0] < 1 || shape[1] < 1)
    throw RuntimeError("the CUDA backend needs a static batch and channel "
                       "count for '" +
                       program->values[v].name + "', which has shape " +
                       formatShape(shape));
  DeviceBlock block{region, shape[0], shape[1], nullptr};
  int64_t elements =
      shape[0] * shape[1] * region.axes[0].size() * region.axes[1].size();
  if (elements > 0)
    block.buffer = memory.allocate(elements * elementBytes(precision),
                                   std::string(what) + " '" +
                                       program->values[v].name + "'");
  return block;
}

BufferRef CudaBackend::upload(const float *data, int64_t n, int64_t c,
                              int64_t h, int64_t w, const char *what) {
  uint64_t count = uint64_t(n * c * h * w);
  if (count == 0)
    return nullptr;
  void *staged = memory.staging(count * sizeof(float));
  std::memcpy(staged, data, count * sizeof(float));
  moved.uploads += 1;
  moved.uploadBytes += int64_t(count * sizeof(float));
  moved.hostCopyBytes += int64_t(count * sizeof(float));
  BufferRef plain = memory.allocate(count * sizeof(float), what);
  SSTEP_CUDA(cudaMemcpyAsync(plain->data(), staged, count * sizeof(float),
                             cudaMemcpyHostToDevice, stream));
  memory.stagingUsedBy(stream);
  BufferRef converted =
      memory.allocate(count * uint64_t(elementBytes(precision)), what);
  toDevice(precision, static_cast<const float *>(plain->data()),
           converted->data(), n, c, h, w, stream);
  SSTEP_CUDA(cudaGetLastError());
  return converted;
}

Tensor CudaBackend::download(const DeviceBlock &block, const Region &region) {
  PhaseTimer timer(profiling, "download", stream);
  int64_t rows = region.axes[0].size(), cols = region.axes[1].size();
  Tensor out({block.batch, block.channels, rows, cols});
  if (out.size() == 0)
    return out;
  uint64_t bytes = uint64_t(out.size()) * sizeof(float);
  BufferRef plain = memory.allocate(bytes, "a block going to the host");
  toHost(precision, block.buffer->data(), block.region.axes[0].size(),
         block.region.axes[1].size(),
         region.axes[0].lo - block.region.axes[0].lo,
         region.axes[1].lo - block.region.axes[1].lo,
         static_cast<float *>(plain->data()), block.batch, block.channels, rows,
         cols, stream);
  void *staged = memory.staging(bytes);
  SSTEP_CUDA(cudaMemcpyAsync(staged, plain->data(), bytes,
                             cudaMemcpyDeviceToHost, stream));
  memory.stagingUsedBy(stream);
  synchronize();
  std::memcpy(out.data.data(), staged, bytes);
  moved.downloads += 1;
  moved.downloadBytes += int64_t(bytes);
  moved.hostCopyBytes += int64_t(bytes);
  return out;
}

const DeviceBlock &CudaBackend::blockOf(int v) {
  auto it = tile.find(v);
  if (it != tile.end())
    return it->second;
  const Region &region = w->compute[v];
  DeviceBlock block = newBlock(v, Region{}, "an input block");
  block.region = region;
  if (!region.empty()) {
    Tensor host;
    {
      PhaseTimer timer(profiling, "host_load", stream);
      host = context->load(v, region);
    }
    PhaseTimer timer(profiling, "upload", stream);
    block.buffer = upload(host.data.data(), host.dim(0), host.dim(1),
                          host.dim(2), host.dim(3), "an input block");
  }
  return tile[v] = std::move(block);
}

DeviceBlock CudaBackend::globalBlock(int v) {
  const Tensor &t = context->whole(v);
  if (t.shape.size() != 4 || t.dim(2) != 1 || t.dim(3) != 1)
    throw RuntimeError("a generated kernel reads '" + program->values[v].name +
                       "' of shape " + formatShape(t.shape) +
                       " as a per-channel global");
  DeviceBlock block{Region{{Interval{0, 0}, Interval{0, 0}}}, t.dim(0),
                    t.dim(1), nullptr};
  block.buffer =
      upload(t.data.data(), t.dim(0), t.dim(1), 1, 1, "a global operand");
  return block;
}

SStepBlock CudaBackend::abiOf(const DeviceBlock &b, int v) const {
  SStepBlock a{};
  a.data = b.buffer ? b.buffer->data() : nullptr;
  a.y0 = b.region.axes[0].lo;
  a.x0 = b.region.axes[1].lo;
  a.rows = b.region.axes[0].size();
  a.cols = b.region.axes[1].size();
  a.batch = b.batch;
  a.channels = b.channels;
  a.imageH = v >= 0 ? (*sizes)[v][0] : 1;
  a.imageW = v >= 0 ? (*sizes)[v][1] : 1;
  return a;
}

const void *CudaBackend::weightsOf(int id) {
  auto found = weights.find(id);
  if (found != weights.end())
    return found->second->data();
  const Node &node = program->nodes[id];
  const Tensor &t = context->whole(node.operands[1]);
  // OIHW read as NCHW and written NHWC is KRSC, cuDNN's NHWC filter layout.
  BufferRef packed = upload(t.data.data(), t.dim(0), t.dim(1), t.dim(2),
                            t.dim(3), "convolution weights");
  weights[id] = packed;
  return packed->data();
}

DeviceBlock CudaBackend::runConv(int id) {
  const Node &node = program->nodes[id];
  int x = node.operands[0];
  const Tensor &weight = context->whole(node.operands[1]);
  WindowAxis axes[2] = {reference::windowAxisOf(node, weight.dim(2), 0),
                        reference::windowAxisOf(node, weight.dim(3), 1)};
  const Region &out = w->compute[node.results[0]];
  reference::WindowReads reads = reference::windowReads(out, axes, (*sizes)[x]);
  const DeviceBlock &input = blockOf(x);
  if (!input.region.contains(reads.region))
    throw RuntimeError(node.describe() + ": the tile holds " +
                       formatRegion(input.region) + " of its input but " +
                       formatRegion(out) + " reads " +
                       formatRegion(reads.region));
  ConvShape shape;
  shape.n = input.batch;
  shape.c = input.channels;
  shape.k = weight.dim(0);
  shape.r = weight.dim(2);
  shape.s = weight.dim(3);
  shape.strideH = axes[0].stride;
  shape.strideW = axes[1].stride;
  shape.dilationH = axes[0].dilation;
  shape.dilationW = axes[1].dilation;
  shape.groups = node.getInt("groups");
  const void *src = input.buffer->data();
  BufferRef gathered;
  bool symmetric = reads.padBegin[0] == reads.padEnd[0] &&
                   reads.padBegin[1] == reads.padEnd[1];
  if (symmetric && input.region == reads.region) {
    shape.h = reads.region.axes[0].size();
    shape.w = reads.region.axes[1].size();
    shape.padH = reads.padBegin[0];
    shape.padW = reads.padBegin[1];
  } else {
    // A border tile pads one side only (cuDNN pads both alike), and a block
    // larger than the reads is cropped: both by one gather.
    shape.h = reads.region.axes[0].size() + reads.padBegin[0] + reads.padEnd[0];
    shape.w = reads.region.axes[1].size() + reads.padBegin[1] + reads.padEnd[1];
    gathered = memory.allocate(uint64_t(shape.n * shape.h * shape.w * shape.c *
                                        elementBytes(precision)),
                               node.describe() + "'s padded input");
    gatherPadded(precision, src, input.region.axes[0].lo,
                 input.region.axes[1].lo, input.region.axes[0].size(),
                 input.region.axes[1].size(), gathered->data(),
                 reads.region.axes[0].lo - reads.padBegin[0],
                 reads.region.axes[1].lo - reads.padBegin[1], shape.h, shape.w,
                 shape.n, shape.c, stream);
    src = gathered->data();
  }
  if (shape.outH() != out.axes[0].size() || shape.outW() != out.axes[1].size())
    throw RuntimeError(node.describe() + ": cuDNN would compute " +
                       std::to_string(shape.outH()) + "x" +
                       std::to_string(shape.outW()) + " for block " +
                       formatRegion(out));
  DeviceBlock result = newBlock(node.results[0], out, "a convolution result");
  const void *filters = weightsOf(id);
  PhaseTimer timer(profiling, "convolution", stream);
  conv->run(shape, src, filters, result.buffer->data());
  ++convs;
  return result;
}

DeviceBlock CudaBackend::runHost(const Node &node) {
  PhaseTimer timer(profiling, "host_nodes", stream);
  ++hostNodes;
  reference::setThreadCount(threads);
  Tensor out = reference::runNodeOnHost(
      node, *program, *sizes, *w,
      [&](int v) { return download(blockOf(v), w->compute[v]); },
      [&](int v) -> const Tensor & { return context->whole(v); });
  int r = node.results[0];
  DeviceBlock block = newBlock(r, Region{}, "a host node's result");
  block.region = w->compute[r];
  block.buffer = upload(out.data.data(), out.dim(0), out.dim(1), out.dim(2),
                        out.dim(3), "a host node's result");
  return block;
}

void CudaBackend::runNode(int id) {
  const Node &node = program->nodes[id];
  bool emptyOperand = false;
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (node.window && node.window->spatial[i] &&
        w->compute[node.operands[i]].empty())
      emptyOperand = true;
  // Border-only reads stay with the reference kernels, which define them.
  if (node.op == "conv2d" && node.operands.size() == 2 && !emptyOperand)
    tile[node.results[0]] = runConv(id);
  else
    tile[node.results[0]] = runHost(node);
}

void CudaBackend::runKernel(size_t k) {
  const GeneratedKernel &kernel = program->kernels.kernels[k];
  int result = program->nodes[kernel.nodes.back()].results[0];
  bool pointwise = kernel.kind == "epilogue" || kernel.kind == "elementwise";
  // An empty block (border-only reads), or an image broadcast along H or W,
  // which the element-wise kernels do not index, sends the nodes to the host.
  bool onHost = false;
  for (int id : kernel.nodes) {
    const Node &node = program->nodes[id];
    for (size_t i = 0; i < node.operands.size(); ++i) {
      int v = node.operands[i];
      if (node.window && node.window->spatial[i])
        onHost |= w->compute[v].empty() || (pointwise && node.op != "conv2d" &&
                                            (*sizes)[v] != (*sizes)[result]);
    }
  }
  if (onHost) {
    // One node at a time on the host; the swallowed values live briefly.
    for (int id : kernel.nodes)
      tile[program->nodes[id].results[0]] = runHost(program->nodes[id]);
    for (size_t i = 0; i + 1 < kernel.nodes.size(); ++i)
      tile.erase(program->nodes[kernel.nodes[i]].results[0]);
    return;
  }
  if (kernel.kind == "epilogue")
    tile[kernel.inputs[0]] = runConv(kernel.nodes[0]);
  int r = result;
  DeviceBlock out = newBlock(r, w->compute[r], "a kernel's result");
  SStepArgs args{};
  args.out = abiOf(out, r);
  std::vector<DeviceBlock> globals;
  for (size_t i = 0; i < kernel.inputs.size(); ++i) {
    int v = kernel.inputs[i];
    bool image = false;
    for (int id : kernel.nodes) {
      const Node &node = program->nodes[id];
      for (size_t j = 0; j < node.operands.size(); ++j)
        image |=
            node.operands[j] == v && node.window && node.window->spatial[j];
    }
    if (kernel.kind == "epilogue" && i == 0)
      image = true;
    if (image) {
      args.in[i] = abiOf(blockOf(v), v);
    } else {
      globals.push_back(globalBlock(v));
      args.in[i] = abiOf(globals.back(), -1);
    }
  }
  args.count = out.batch * out.channels * out.region.axes[0].size() *
               out.region.axes[1].size();
  {
    PhaseTimer timer(profiling, "kernels", stream);
    library->launch(k, args, stream);
  }
  if (kernel.kind == "epilogue")
    tile.erase(kernel.inputs[0]);
  tile[r] = std::move(out);
}

int64_t CudaBackend::runTile(const plan::Stage &stage,
                             const plan::TileWindows &windows,
                             exec::TileContext &ctx) {
  w = &windows;
  context = &ctx;
  tile.clear();
  int64_t peak = 0;
  for (size_t i = 0; i < stage.tileNodes.size(); ++i) {
    int id = stage.tileNodes[i];
    const Node &node = program->nodes[id];
    int k = kernelOf[id];
    bool last = k < 0 || program->kernels.kernels[k].nodes.back() == id;
    if (last && !w->compute[node.results[0]].empty()) {
      if (k >= 0)
        runKernel(size_t(k));
      else
        runNode(id);
    }
    int64_t live = 0;
    for (const auto &[v, block] : tile)
      live += block.buffer ? int64_t(block.buffer->size()) : 0;
    peak = std::max(peak, live);
    for (auto it = tile.begin(); it != tile.end();)
      it = lastUse.count(it->first) && lastUse[it->first] <= i &&
                   it->first != node.results[0]
               ? tile.erase(it)
               : std::next(it);
  }
  for (int v : stage.sinks)
    if (!w->owned[v].empty())
      ctx.sink(v, download(blockOf(v), w->compute[v]));
  synchronize();
  tile.clear();
  return peak;
}

std::map<std::string, int64_t> CudaBackend::counters() const {
  std::map<std::string, int64_t> all = profile;
  all.merge(std::map<std::string, int64_t>{
      {"cudnn_convolutions", convs},
      {"kernel_launches", library ? library->launches() : 0},
      {"host_nodes", hostNodes},
      {"uploads", moved.uploads},
      {"upload_bytes", moved.uploadBytes},
      {"downloads", moved.downloads},
      {"download_bytes", moved.downloadBytes},
      {"host_copy_bytes", moved.hostCopyBytes},
      {"stream_synchronizations", moved.synchronizations},
      {"conv_algorithm_searches", conv ? conv->algorithmSearches() : 0},
      {"device_arena_bytes", int64_t(memory.arena().capacity())},
      {"device_peak_bytes", int64_t(memory.arena().highWater())},
      {"conv_search_us", conv ? conv->searchMicroseconds() : 0},
      {"conv_algorithms_from_cache", conv ? conv->algorithmsFromCache() : 0}});
  return all;
}

} // namespace

bool deviceAvailable(std::string *reason) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    if (reason)
      *reason =
          status != cudaSuccess ? cudaGetErrorString(status) : "no CUDA device";
    return false;
  }
  return true;
}

std::unique_ptr<exec::Backend> makeCudaBackend(int threads,
                                               uint64_t deviceMemory) {
  std::string reason;
  if (!deviceAvailable(&reason))
    throw RuntimeError("the cuda backend needs a GPU: " + reason);
  return std::make_unique<CudaBackend>(threads, deviceMemory);
}

} // namespace sstep::cuda
