//===- Device.cu - CUDA devices visible to the runtime --------------------===//

#include "runtime/cuda/Device.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace sstep::cuda {
namespace {

void check(cudaError_t status, const char *what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " +
                             cudaGetErrorString(status));
}

/// Device memory freed on every path out of a test.
struct DeviceBuffer {
  float *ptr = nullptr;
  explicit DeviceBuffer(std::size_t bytes) {
    check(cudaMalloc(&ptr, bytes), "cudaMalloc");
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
};

__global__ void axpy(int n, float a, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    y[i] = a * x[i] + y[i];
}

} // namespace

std::vector<DeviceInfo> listDevices(std::string *reason) {
  std::vector<DeviceInfo> devices;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (reason)
      *reason = cudaGetErrorString(status);
    cudaGetLastError(); // Clear the sticky "no device" error.
    return devices;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
      continue;
    DeviceInfo info;
    info.ordinal = i;
    info.name = prop.name;
    info.computeMajor = prop.major;
    info.computeMinor = prop.minor;
    info.totalMemory = prop.totalGlobalMem;
    info.multiprocessors = prop.multiProcessorCount;
    if (cudaSetDevice(i) == cudaSuccess) {
      std::size_t freeBytes = 0, totalBytes = 0;
      if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess)
        info.freeMemory = freeBytes;
    }
    devices.push_back(info);
  }
  if (devices.empty() && reason)
    *reason = "no CUDA device";
  return devices;
}

double selfTest(int ordinal, int n) {
  check(cudaSetDevice(ordinal), "cudaSetDevice");
  std::vector<float> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = float(i % 97) * 0.5f;
    y[i] = float(i % 13) - 6.0f;
  }
  const float a = 1.75f;
  std::size_t bytes = sizeof(float) * n;
  DeviceBuffer dx(bytes), dy(bytes);
  check(cudaMemcpy(dx.ptr, x.data(), bytes, cudaMemcpyHostToDevice), "copy x");
  check(cudaMemcpy(dy.ptr, y.data(), bytes, cudaMemcpyHostToDevice), "copy y");
  axpy<<<(n + 255) / 256, 256>>>(n, a, dx.ptr, dy.ptr);
  check(cudaGetLastError(), "axpy launch");
  std::vector<float> out(n);
  check(cudaMemcpy(out.data(), dy.ptr, bytes, cudaMemcpyDeviceToHost),
        "copy out");
  double worst = 0;
  for (int i = 0; i < n; ++i)
    worst = std::max(worst, std::fabs(double(out[i]) - (a * x[i] + y[i])));
  return worst;
}

} // namespace sstep::cuda
