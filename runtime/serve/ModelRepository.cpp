//===- ModelRepository.cpp - The plans a server serves, reloaded on change ===//

#include "runtime/serve/ModelRepository.h"

#include <algorithm>
#include <dirent.h>
#include <map>
#include <sys/stat.h>

namespace sstep::serve {

ServedModel::ServedModel(std::string name, std::string path, Model model,
                         SessionOptions options, int instances)
    : name_(std::move(name)), path_(std::move(path)), model_(std::move(model)),
      options_(std::move(options)), unmade_(std::max(1, instances)) {}

ServedModel::Lease::Lease(ServedModel &owner, std::unique_ptr<Session> session)
    : owner_(owner), session_(std::move(session)) {}

ServedModel::Lease::~Lease() {
  {
    std::lock_guard<std::mutex> lock(owner_.mutex_);
    if (session_)
      owner_.idle_.push_back(std::move(session_));
    else
      ++owner_.unmade_; // making it failed: another may try
  }
  owner_.freed_.notify_one();
}

ServedModel::Lease ServedModel::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  freed_.wait(lock, [&] { return !idle_.empty() || unmade_ > 0; });
  if (!idle_.empty()) {
    std::unique_ptr<Session> s = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(s));
  }
  --unmade_;
  lock.unlock();
  try {
    return Lease(*this, std::make_unique<Session>(model_, options_));
  } catch (...) {
    Lease failed(*this, nullptr); // gives the instance back
    throw;
  }
}

namespace {

/// "size:mtime:inode", or "" for what is not a regular file.
std::string stampOf(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return "";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
         "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_ino);
}

std::string modelName(const std::string &file) {
  const std::string ext = ".sstep";
  if (file.size() > ext.size() &&
      file.compare(file.size() - ext.size(), ext.size(), ext) == 0)
    return file.substr(0, file.size() - ext.size());
  return file;
}

/// Regular files of `folder` by model name; hidden files and files a copy
/// leaves half-written under a temporary name (".x.sstep.tmp") are skipped.
std::map<std::string, std::string> scan(const std::string &folder) {
  std::map<std::string, std::string> files;
  DIR *dir = ::opendir(folder.c_str());
  if (!dir)
    throw RuntimeError("--models " + folder + ": cannot open the folder");
  while (dirent *e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.')
      continue;
    std::string path = folder + "/" + name;
    if (!stampOf(path).empty())
      files[modelName(name)] = path;
  }
  ::closedir(dir);
  return files;
}

} // namespace

ModelRepository::ModelRepository(std::string folder, SessionOptions options,
                                 int instances)
    : folder_(std::move(folder)), options_(std::move(options)),
      instances_(instances) {
  refresh();
}

int ModelRepository::refresh() {
  std::lock_guard<std::mutex> scanning(refreshing_);
  std::map<std::string, std::string> files = scan(folder_);
  std::vector<Slot> next;
  int changed = 0;
  std::vector<Slot> current;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current = slots_;
  }
  for (const auto &file : files) {
    const std::string &name = file.first, &path = file.second;
    std::string stamp = stampOf(path);
    auto same = std::find_if(current.begin(), current.end(), [&](auto &s) {
      return s.entry.name == name && s.entry.path == path && s.stamp == stamp;
    });
    if (same != current.end()) {
      next.push_back(*same);
      continue;
    }
    ++changed;
    Slot slot;
    slot.entry.name = name;
    slot.entry.path = path;
    slot.stamp = stamp;
    try {
      slot.entry.model = std::make_shared<ServedModel>(
          name, path, Model::load(path), options_, instances_);
    } catch (const std::exception &e) {
      slot.entry.reason = e.what();
    }
    next.push_back(std::move(slot));
  }
  changed += int(std::count_if(current.begin(), current.end(), [&](auto &s) {
    return files.count(s.entry.name) == 0;
  }));
  std::lock_guard<std::mutex> lock(mutex_);
  slots_ = std::move(next);
  return changed;
}

std::optional<RepositoryEntry>
ModelRepository::find(const std::string &name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Slot &s : slots_)
    if (s.entry.name == name)
      return s.entry;
  return std::nullopt;
}

std::vector<RepositoryEntry> ModelRepository::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RepositoryEntry> out;
  for (const Slot &s : slots_)
    out.push_back(s.entry);
  return out;
}

} // namespace sstep::serve
