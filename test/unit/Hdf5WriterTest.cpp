//===- Hdf5WriterTest.cpp - Feature maps checked by h5py ------------------===//
//
// The file is written region by region in a scrambled order, then read by
// h5py (an independent reader) in a Python one-liner that recomputes the
// expected values and checks shape, chunking, compression and attributes.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/slide/Hdf5PatchWriter.h"
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

TEST_CASE("HDF5 patch tables in both layouts read back through h5py",
          "[slide][hdf5]") {
  PatchTable t;
  t.rowShape = {2, 3};
  t.level = 1;
  t.size = 64;
  t.coords = {{0, 0}, {128, 0}, {0, 128}};
  t.levelCoords = {{0, 0}, {64, 0}, {0, 64}};
  t.masked = true;
  t.tissue = {1.0f, 0.5f, 0.25f};
  t.integers["patch_stride"] = 64;
  t.texts["slide"] = "s.tif";
  std::vector<float> rows(18);
  for (size_t i = 0; i < rows.size(); ++i)
    rows[i] = float(i);
  for (PatchLayout layout : {PatchLayout::Table, PatchLayout::Groups}) {
    t.layout = layout;
    bool table = layout == PatchLayout::Table;
    std::string path = scratch(table ? "table.h5" : "groups.h5");
    {
      Hdf5PatchWriter writer(path, t);
      writer.writeRows(2, 1, rows.data() + 12); // any order
      writer.writeRows(0, 2, rows.data());
      CHECK_THROWS_WITH(writer.writeRows(2, 2, rows.data()),
                        Catch::Contains("outside the table of 3"));
      writer.finish();
    }
    std::string rowsOf =
        table ? "f['features'][()]"
              : "np.stack([f['patches/%06d/features' % i][()] for i in "
                "range(3)])";
    std::string check =
        std::string(SSTEP_TEST_PYTHON) +
        " -c \"import h5py, numpy as np; f = h5py.File('" + path +
        "', 'r'); r = " + rowsOf +
        "; assert r.shape == (3, 2, 3), r.shape; "
        "assert (r.reshape(-1) == np.arange(18)).all(); "
        "assert (f['coords'][()] == [[0, 0], [128, 0], [0, 128]]).all(); "
        "assert (f['tissue'][()] == [1, 0.5, 0.25]).all(); "
        "assert f.attrs['slide'] == 's.tif' and f.attrs['patch_level'] == 1; "
        "assert f['coords'].attrs['patch_size'] == 64; " +
        (table ? std::string("assert 'patches' not in f")
               : std::string("g = f['patches/000002']; "
                             "assert (g.attrs['x'], g.attrs['y'], "
                             "g.attrs['level_y'], g.attrs['tissue']) == "
                             "(0, 128, 64, 0.25)")) +
        "\"";
    CHECK(std::system(check.c_str()) == 0);
  }
  // No patches (a slide without tissue): a valid, empty table, with the
  // empty tissue shares a masked run promises.
  PatchTable none;
  none.rowShape = {8};
  none.masked = true;
  std::string path = scratch("empty.h5");
  Hdf5PatchWriter(path, none).finish();
  std::string check = std::string(SSTEP_TEST_PYTHON) +
                      " -c \"import h5py; f = h5py.File('" + path +
                      "', 'r'); assert f['features'].shape == (0, 8); "
                      "assert f['coords'].shape == (0, 2); "
                      "assert f['tissue'].shape == (0,)\"";
  CHECK(std::system(check.c_str()) == 0);
}
