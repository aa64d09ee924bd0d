//===- Device.h - CUDA devices visible to the runtime -----------*- C++ -*-===//
//
// Which GPUs this process can use, asked without failing on machines that have
// no GPU or no driver (CI): such a machine simply has no devices.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_DEVICE_H
#define SSTEP_RUNTIME_CUDA_DEVICE_H

#include <cstddef>
#include <string>
#include <vector>

namespace sstep::cuda {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int computeMajor = 0;
  int computeMinor = 0;
  std::size_t totalMemory = 0;
  std::size_t freeMemory = 0;
  int multiprocessors = 0;
};

/// The usable devices; empty when there is no GPU or no driver, in which case
/// `reason` (when given) says why.
std::vector<DeviceInfo> listDevices(std::string *reason = nullptr);

/// Runs a small kernel on `ordinal` computing y = a*x + y for n elements and
/// returns the largest error against the host result. Proves that the binary's
/// fatbin carries code for the device. Throws std::runtime_error on CUDA
/// errors.
double selfTest(int ordinal, int n = 1 << 20);

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_DEVICE_H
