//===- TileModel.cpp - What a backend holds, as the planner sees it -------===//

#include "runtime/plan/TileModel.h"

#include <algorithm>

namespace sstep::plan {

int64_t BlockLayout::bytes(const Program &program, int value,
                           const Region &region) const {
  const Shape &shape = program.values[value].shape;
  int64_t planes = 1;
  for (size_t d = 0; d + 2 < shape.size(); ++d) {
    int64_t n = std::max<int64_t>(shape[d], 1);
    if (d == 1 && size_t(value) < blocked.size() && blocked[value])
      n = (n + channelBlock - 1) / channelBlock * channelBlock;
    planes *= n;
  }
  return planes * region.pixels() * int64_t(sizeof(float));
}

StageSchedule TileModel::schedule(const Program &program, const Stage &stage,
                                  const Stages &, const Sizes &) const {
  return scheduleStage(program, stage);
}

BlockLayout TileModel::layout(const Program &, const StageSchedule &) const {
  return {};
}

const TileModel &plainModel() {
  static const TileModel model;
  return model;
}

} // namespace sstep::plan
