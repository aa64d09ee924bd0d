//===- Session.h - A loaded plan and a live backend, reused across runs -*- C++
//-*-===//
//
// Model::run makes a backend for each call: the cpu backend packs every
// weight again, the cuda one starts cuDNN and uploads them again. A Session
// holds one backend for its whole life, with its own thread count, packed or
// uploaded weights and primitive caches, and runs the model as often as
// asked. Training hands in new weights every step: setWeights replaces them
// and drops exactly what the backend derived from them, so the next run
// equals a fresh plan with those weights.
//
//   sstep::Session session(sstep::Model::load("resnet18.sstep"),
//                          {"cpu", /*threads=*/4});
//   for (sstep::Tensor &image : images)
//     outputs.push_back(session.run({std::move(image)})[0]);
//   session.setWeights({{"conv1.weight", updated}});
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_API_SESSION_H
#define SSTEP_RUNTIME_API_SESSION_H

#include "runtime/api/Model.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sstep {

struct SessionOptions {
  /// A backend of this build (Backends.h): "cpu", "reference", "cuda".
  std::string backend = "cpu";
  /// Worker threads; 0: all cores.
  int threads = 0;
  /// Device memory for a GPU backend's arena, in bytes; 0: half of what is
  /// free.
  int64_t deviceMemory = 0;
};

/// The weights a Session can replace, by name: the program's named
/// constants, with their value ids.
std::map<std::string, int> namedWeights(const Program &program);

/// namedWeights(program), after checking that every weight of `given` is one
/// of them with its shape; throws RuntimeError naming the first that is not.
std::map<std::string, int>
checkWeights(const Program &program,
             const std::map<std::string, Tensor> &given);

/// Weights by name, each held once however many programs use it.
using SharedWeights = std::map<std::string, std::shared_ptr<const Tensor>>;
std::map<std::string, int> checkWeights(const Program &program,
                                        const SharedWeights &given);

class Session {
public:
  /// Makes the backend once. Throws RuntimeError naming an unknown backend
  /// or saying why the GPU backend cannot start.
  explicit Session(Model model, SessionOptions options = {});
  ~Session();
  Session(Session &&) noexcept;
  Session &operator=(Session &&) noexcept;

  const Model &model() const { return *model_; }
  const SessionOptions &options() const { return options_; }
  exec::Backend &backend() { return *backend_; }

  /// Runs on `inputs` as Model::run does, on the session's backend (the
  /// backend, threads and device memory of `options` are the session's).
  std::vector<Tensor> run(std::vector<Tensor> inputs,
                          const RunOptions &options = {},
                          exec::Stats *stats = nullptr);

  /// The weights setWeights can replace: the program's named constants,
  /// with their shapes.
  std::map<std::string, Shape> weights() const;
  /// Replaces weights by name. Throws RuntimeError naming a weight the
  /// model does not have or a tensor of the wrong shape, before replacing
  /// any.
  void setWeights(const std::map<std::string, Tensor> &weights);
  /// The same, sharing the tensors instead of copying them.
  void setWeights(const SharedWeights &weights);
  /// Frees what the backend derived from the weights (the cpu backend's
  /// packed copies); the next run derives it again. For a caller that will
  /// replace the weights before it runs again: a training step between its
  /// forward pass and its backward pass, which reads the plain weights.
  void releaseDerivedWeights();

  /// Backends this session made (1), and runs so far.
  int64_t backendsCreated() const { return created_; }
  int64_t runs() const { return runs_; }

private:
  /// On the heap: the backend keeps pointers into its program, which must
  /// not move when the session does.
  std::unique_ptr<Model> model_;
  SessionOptions options_;
  std::unique_ptr<exec::Backend> backend_;
  int64_t created_ = 0, runs_ = 0;
};

} // namespace sstep

#endif // SSTEP_RUNTIME_API_SESSION_H
