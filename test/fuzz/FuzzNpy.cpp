//===- FuzzNpy.cpp - .npy files: any bytes, a clean error or a tensor -----===//

#include "runtime/core/Npy.h"
#include "runtime/core/RuntimeError.h"
#include "test/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = sstep::fuzz::asFile(data, size, ".npy");
  try {
    sstep::Tensor t = sstep::readNpy(path);
    // What was read must be what the header says.
    if (int64_t(t.data.size()) != t.size())
      __builtin_trap();
  } catch (const sstep::RuntimeError &) {
  }
  return 0;
}
