//===- CudaDeviceTest.cpp - The CUDA toolchain reaches the device ---------===//

#include <catch2/catch.hpp>

#include "runtime/cuda/Device.h"

using namespace sstep::cuda;

TEST_CASE("CUDA devices report sane properties", "[gpu]") {
  std::vector<DeviceInfo> devices = listDevices();
  REQUIRE(!devices.empty());
  for (const DeviceInfo &d : devices) {
    INFO(d.name);
    CHECK(!d.name.empty());
    CHECK(d.computeMajor >= 7);
    CHECK(d.totalMemory > (std::size_t(1) << 30));
    CHECK(d.freeMemory <= d.totalMemory);
    CHECK(d.multiprocessors > 0);
  }
}

TEST_CASE("the fatbin carries code for every device", "[gpu]") {
  for (const DeviceInfo &d : listDevices()) {
    INFO(d.name << " sm_" << d.computeMajor << d.computeMinor);
    // Device code may fuse a*x + y into one FMA: allow an ulp of rounding.
    CHECK(selfTest(d.ordinal) < 1e-4);
  }
}
