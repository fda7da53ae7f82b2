#include "apps/sharded_output.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/terminal.hpp"
#include "apps/transformer_plugin.hpp"
#include "cluster/mpi.hpp"
#include "datasets/virtual_file.hpp"

namespace mimo::cli {

namespace {

namespace fs = std::filesystem;
using cluster::World;

constexpr const char* kInterrupted = "interrupted";

}  // namespace

ShardedOutput::ShardedOutput(std::string out, std::vector<FlagPath> inputs)
    : out_(std::move(out)),
      folder_(shard_folder(out_)),
      shard_(shard_path(out_, World::rank(), World::size())),
      inputs_(std::move(inputs)),
      folder_guard_(folder_) {
  install_interrupt_handler(0.5);
}

void ShardedOutput::write(const std::function<bool(const std::string& shard)>& write_shard) {
  std::string error;
  try {
    check_outputs({{"--out", out_}}, inputs_);
    std::error_code ec;
    fs::create_directories(folder_, ec);  // by every process: whichever comes first creates it
    if (ec) throw std::invalid_argument("cannot create the shards folder '" + folder_ + "': " + ec.message());
    check_outputs({{"--out", out_}, {"its shard", shard_}}, inputs_);
    if (write_shard(shard_)) {
      // Only now is the shard this run's: before, an earlier run's shard of the same name may be there, which the
      // earlier run's --out still maps and a failure of this run must leave alone.
      wrote_shard_ = true;
      shard_guard_.emplace(shard_);
    } else {
      error = kInterrupted;
    }
  } catch (const std::exception& e) {
    error = error_line(e);
  }
  agree(error);
}

void ShardedOutput::join(const std::function<void(const std::vector<std::string>& shards)>& join) {
  std::string error;
  if (World::rank() == 0) {
    std::vector<std::string> shards;
    for (int k = 0; k < World::size() && error.empty(); ++k) {
      shards.push_back(shard_path(out_, k, World::size()));
      std::error_code ec;
      if (!fs::exists(shards.back(), ec))
        error = "process 0 does not see the shard '" + shards.back() + "' that process " + std::to_string(k) +
                " wrote: --out must be on a file system that every process shares";
    }
    try {
      if (error.empty()) {
        join(shards);
        // Only now is `out` this run's: before, a forced exit would delete an earlier run's file.
        out_guard_.emplace(out_);
      }
    } catch (const std::exception& e) {
      error = error_line(e);
    }
  }
  agree(error);
  if (World::rank() == 0) remove_stale_shards(out_, World::size());
}

void ShardedOutput::agree(const std::string& error) {
  const auto [failed, message] = World::first_failure(error);
  if (failed < 0) return;
  std::error_code ec;
  if (wrote_shard_) fs::remove(shard_, ec);
  World::all(true);  // every shard is gone before process 0 removes the folder
  if (World::rank() == 0) fs::remove(folder_, ec);  // only if empty
  const std::string who = "process " + std::to_string(failed) + " of " + std::to_string(World::size());
  throw AgreedError((message == kInterrupted ? who + " was interrupted" : failed == 0 ? message : who + ": " + message) +
                        "; nothing written",
                    interrupted() ? interrupted_exit_code() : 1);
}

void remove_stale_shards(const std::string& out, int keep) {
  std::vector<std::string> current;
  for (int k = 0; k < keep; ++k) current.push_back(fs::path(shard_path(out, k, keep)).filename().string());
  std::error_code ec;
  try {
    for (const auto& entry : fs::directory_iterator(shard_folder(out), ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("part-", 0) == 0 && entry.is_regular_file(ec) &&
          std::find(current.begin(), current.end(), name) == current.end())
        fs::remove(entry.path(), ec);
    }
  } catch (const fs::filesystem_error&) {  // the folder changed under the listing: what is left stays
  }
  if (keep == 0) fs::remove(shard_folder(out), ec);  // only if empty
}

}  // namespace mimo::cli
