//===- GpuMain.cpp - Main of the GPU tests: skip without a device ---------===//

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "runtime/cuda/Device.h"

#include <iostream>

int main(int argc, char **argv) {
  std::string reason;
  if (sstep::cuda::listDevices(&reason).empty()) {
    std::cout << "GPU tests skipped: " << reason << "\n";
    return 77; // ctest's SKIP_RETURN_CODE
  }
  return Catch::Session().run(argc, argv);
}
