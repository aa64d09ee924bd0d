//===- Checkpoint.h - Where a run of several stages stands, for resume ----===//
//
// A run of several stages over a large slide (EfficientNet's 17) takes
// hours, and each stage reads images that earlier stages stored on disk. A
// checkpoint records in a folder of its own what a rerun of the same
// command needs to go on where a killed run stopped:
//   - the stage it was in, and how many of that stage's tiles, in the order
//     they run, were done (tiles retire in that order, so they are a prefix);
//   - the values held in memory as of that stage's start (the pooled
//     vectors of a squeeze-and-excitation block: small), in values-S;
//   - each reduction's partial sums over the tiles done (Reducer::State);
//   - the images stored on disk, in named files image-V of the folder,
//     synced before a checkpoint vouches for them.
// The executor saves one at the start of each stage and then, between
// tiles, every `intervalSeconds`. The state file is replaced atomically
// (AtomicFile.h): a kill at any moment leaves the old checkpoint or the
// new. A run resumed from (stage s, k tiles) skips the stages before s and
// the first k tiles of s, and computes the bits of a run never killed: the
// same tiles over the same windows, summed in the same order.
//
// Example: EfficientNet-B0 killed in stage 9 of 17 after 40 of its 64
// tiles: the rerun reads values-9, reopens the images still live, restores
// the stage's pool sums and runs tiles 40 to 63, then stages 10 to 16.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_CHECKPOINT_H
#define SSTEP_RUNTIME_EXEC_CHECKPOINT_H

#include "runtime/exec/Reducer.h"
#include "runtime/plan/ExecutionPlan.h"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sstep::exec {

struct Checkpoint {
  /// The stages before `stage` are done, its global nodes too, and its
  /// first `tilesDone` tiles in the order they run.
  int stage = 0;
  int64_t tilesDone = 0;
  /// The stage's reductions over those tiles, by node.
  std::map<int, Reducer::State> reductions;
  /// The images on disk, by value, in imagePath(value).
  struct Image {
    Shape shape;
    bool interleaved = false;
  };
  std::map<int, Image> images;
};

class Checkpoints {
public:
  enum class Start {
    Fresh,    ///< no checkpoint in the folder
    Resumed,  ///< one of this command: found() says where it stood
    Mismatch, ///< one of another command, or unreadable: removed
  };

  /// The checkpoints of a command with `fingerprint` in `folder` (created
  /// when missing). A checkpoint of the same fingerprint found there is
  /// kept for the run to resume from; anything else of ours is removed.
  /// Throws RuntimeError naming the folder.
  Checkpoints(std::string folder, std::string fingerprint,
              double intervalSeconds);

  /// Run before each save: makes what the run writes elsewhere (outputs
  /// streamed through a writer) durable, since the checkpoint vouches for
  /// the tiles done.
  std::function<void()> beforeSave;

  Start start() const { return start_; }
  const std::optional<Checkpoint> &found() const { return found_; }
  /// The memory values of found()'s stage, by value.
  std::map<int, Tensor> foundValues() const;
  const std::string &folder() const { return folder_; }
  std::string imagePath(int value) const;

  /// Whether `intervalSeconds` have passed since the last save.
  bool due() const;
  /// Writes the memory values as of `stage`'s start, before the first
  /// checkpoint of that stage.
  void saveValues(int stage, const std::map<int, const Tensor *> &values);
  /// Replaces the checkpoint by `checkpoint` (its images already synced),
  /// then removes the files it no longer needs.
  void save(const Checkpoint &checkpoint);
  /// Removes the folder and everything in it: the run is complete.
  void remove();

private:
  std::string path(const std::string &file) const;
  std::optional<Checkpoint> read() const;
  /// Removes every file of ours in the folder that `keep` does not name.
  void prune(const Checkpoint *keep);

  std::string folder_, fingerprint_;
  double intervalSeconds_;
  Start start_ = Start::Fresh;
  std::optional<Checkpoint> found_;
  std::chrono::steady_clock::time_point lastSave_;
};

/// Why `program`, run as `plan` with the outputs `streamed` (value ids)
/// streamed block by block, cannot resume from checkpoints; empty when it
/// can: every image stored between stages must live on disk, and every
/// output that tiles compute must stream.
std::string whyNotCheckpointed(const Program &program,
                               const plan::ExecutionPlan &plan,
                               const std::vector<int> &streamed);

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_CHECKPOINT_H
