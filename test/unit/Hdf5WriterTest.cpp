//===- Hdf5WriterTest.cpp - Feature maps checked by h5py ------------------===//
//
// The file is written region by region in a scrambled order, then read by
// h5py (an independent reader) in a Python one-liner that recomputes the
// expected values and checks shape, chunking, compression and attributes.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/slide/Hdf5Writer.h"
#include "test/unit/SlideTestUtil.h"

#include <cstdlib>
#include <fstream>

using namespace sstep::slide;
using namespace sstep::slide::test;

TEST_CASE("HDF5 feature maps read back through h5py", "[slide][hdf5]") {
  const int64_t C = 3, H = 300, W = 200, T = 64;
  std::string path = scratch("features.h5");
  {
    Hdf5Options o;
    o.chunk = T;
    Hdf5FeatureWriter writer(path, C, H, W, o);
    // Tiles of the feature map, bottom-right first.
    for (int64_t ty = (H - 1) / T; ty >= 0; --ty)
      for (int64_t tx = (W - 1) / T; tx >= 0; --tx) {
        int64_t y = ty * T, x = tx * T;
        int64_t h = std::min(T, H - y), w = std::min(T, W - x);
        std::vector<float> tile(std::size_t(C * h * w));
        for (int64_t c = 0; c < C; ++c)
          for (int64_t j = 0; j < h; ++j)
            for (int64_t i = 0; i < w; ++i)
              tile[std::size_t((c * h + j) * w + i)] =
                  float(c * 1000 + (y + j) + (x + i) * 0.5);
        writer.writeRegion(y, x, h, w, tile.data());
      }
    writer.setAttribute("mpp", 0.5);
    CHECK_THROWS_WITH(writer.writeRegion(290, 0, 20, 10, nullptr),
                      Catch::Contains("outside the feature map"));
    writer.finish();
  }
  CHECK_FALSE(std::ifstream(path + ".part").good());
  std::string check =
      std::string(SSTEP_TEST_PYTHON) +
      " -c \"import h5py, numpy as np; "
      "f = h5py.File('" +
      path +
      "', 'r'); d = f['features']; "
      "c, y, x = np.meshgrid(np.arange(3), np.arange(300), np.arange(200), "
      "indexing='ij'); "
      "want = (c * 1000 + y + x * 0.5).astype(np.float32); "
      "assert d.shape == (3, 300, 200), d.shape; "
      "assert d.dtype == np.float32; assert d.chunks == (3, 64, 64), d.chunks; "
      "assert d.compression == 'gzip'; assert d.attrs['mpp'] == 0.5; "
      "assert (d[...] == want).all()\"";
  CHECK(std::system(check.c_str()) == 0);
}
