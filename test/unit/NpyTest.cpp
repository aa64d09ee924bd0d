//===- NpyTest.cpp - .npy reading and writing -----------------------------===//

#include <catch2/catch.hpp>

#include "runtime/core/Npy.h"

#include <cstdio>
#include <fstream>
#include <sys/stat.h>

using namespace sstep;

namespace {
std::string scratch(const std::string &name) {
  std::string dir = SSTEP_TEST_WORK_DIR;
  ::mkdir(dir.c_str(), 0755);
  return dir + "/" + name;
}
} // namespace

TEST_CASE(".npy round trip", "[npy]") {
  std::vector<int64_t> shape = {1, 3, 5, 7};
  sstep::FloatBuffer data(105);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = float(i) * 0.5f - 7;
  std::string path = scratch("t.npy");
  writeNpy(path, shape, data.data());
  Tensor back = readNpy(path);
  CHECK(back.shape == shape);
  CHECK(back.data == data);
  std::ofstream(scratch("bad.npy")) << "not numpy";
  CHECK_THROWS_WITH(readNpy(scratch("bad.npy")),
                    Catch::Contains("bad.npy") &&
                        Catch::Contains("not a .npy file"));
}

TEST_CASE(".npy rejects other dtypes and truncation", "[npy]") {
  std::string path = scratch("f8.npy");
  {
    std::ofstream out(path, std::ios::binary);
    std::string header = "{'descr': '<f8', 'fortran_order': False, "
                         "'shape': (2,), }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(char(header.size() + 1)).put(0);
    out << header << "\n";
  }
  CHECK_THROWS_WITH(readNpy(path),
                    Catch::Contains("f8.npy") && Catch::Contains("'<f4'"));
  sstep::FloatBuffer data(12, 1.0f);
  std::string whole = scratch("whole.npy");
  writeNpy(whole, {3, 4}, data.data());
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(scratch("cut.npy"), std::ios::binary)
      << bytes.substr(0, bytes.size() - 5);
  CHECK_THROWS_WITH(readNpy(scratch("cut.npy")),
                    Catch::Contains("truncated .npy data"));
}

TEST_CASE(".npy blocks are read in place", "[npy]") {
  std::vector<int64_t> shape = {1, 2, 6, 5};
  sstep::FloatBuffer data(60);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = float(i);
  std::string path = scratch("blocks.npy");
  writeNpy(path, shape, data.data());
  NpyFile file(path);
  CHECK(file.shape() == shape);
  // Rows [2, 4) and columns [1, 4) of both channels.
  Tensor block = file.readBlock(2, 2, 1, 3);
  CHECK(block.shape == Shape{1, 2, 2, 3});
  CHECK(block.data ==
        sstep::FloatBuffer{11, 12, 13, 16, 17, 18, 41, 42, 43, 46, 47, 48});
  CHECK_THROWS_WITH(file.readBlock(5, 2, 0, 1),
                    Catch::Contains("blocks.npy") &&
                        Catch::Contains("no block of 2x1 at (5, 0)"));
  // A file cut short is refused when opened, not in the middle of a run.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(scratch("short.npy"), std::ios::binary)
      << bytes.substr(0, bytes.size() - 4);
  CHECK_THROWS_WITH(NpyFile(scratch("short.npy")),
                    Catch::Contains("truncated .npy data"));
}

TEST_CASE(".npy blocks are written in place, the file appears when done",
          "[npy]") {
  std::vector<int64_t> shape = {2, 3, 5, 7};
  Tensor want(shape);
  for (size_t i = 0; i < want.data.size(); ++i)
    want.data[i] = float(i) - 50.5f;
  // Disjoint blocks covering the array, written out of order.
  auto block = [&](int64_t row, int64_t rows, int64_t col, int64_t cols) {
    Tensor b({2, 3, rows, cols});
    size_t k = 0;
    for (int64_t p = 0; p < 6; ++p)
      for (int64_t y = row; y < row + rows; ++y)
        for (int64_t x = col; x < col + cols; ++x)
          b.data[k++] = want.data[size_t((p * 5 + y) * 7 + x)];
    return b;
  };
  std::string path = scratch("written-blocks.npy");
  std::remove(path.c_str());
  {
    NpyWriter out(path, shape);
    out.writeBlock(3, 4, block(3, 2, 4, 3));
    out.writeBlock(0, 0, block(0, 3, 0, 4));
    out.writeBlock(3, 0, block(3, 2, 0, 4));
    CHECK_FALSE(std::ifstream(path).good());
    CHECK(std::ifstream(path + ".part").good());
    out.writeBlock(0, 4, block(0, 3, 4, 3));
    CHECK_THROWS_WITH(out.writeBlock(4, 4, block(3, 2, 4, 3)),
                      Catch::Contains("blocks.npy: no block of shape "
                                      "2x3x2x3 at (4, 4) in an array of "
                                      "shape 2x3x5x7"));
    out.finish();
  }
  CHECK_FALSE(std::ifstream(path + ".part").good());
  Tensor back = readNpy(path);
  CHECK(back.shape == shape);
  CHECK(back.data == want.data);

  // Strips as wide as the array go one write per plane; the same bytes.
  std::string strips = scratch("strips.npy");
  {
    NpyWriter out(strips, shape);
    out.writeBlock(2, 0, block(2, 3, 0, 7));
    out.writeBlock(0, 0, block(0, 2, 0, 7));
    out.finish();
  }
  CHECK(readNpy(strips).data == want.data);

  // Unfinished, nothing is left behind and nothing replaces the old file.
  {
    NpyWriter out(path, {1, 1, 2, 2});
    out.writeBlock(0, 0, Tensor({1, 1, 1, 1}, 3.0f));
  }
  CHECK_FALSE(std::ifstream(path + ".part").good());
  CHECK(readNpy(path).data == want.data);
  CHECK_THROWS_WITH(NpyWriter(scratch("no-such-dir/x.npy"), {1, 1, 1, 1}),
                    Catch::Contains("no-such-dir/x.npy: cannot create"));
}
