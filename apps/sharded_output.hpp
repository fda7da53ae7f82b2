#pragma once
// One output file written by every process of an mpirun (`generate`, `detect`): each process writes its rows as a
// shard in "<out>.shards/", and once all are committed process 0 joins them into <out> (datasets/virtual_file.hpp).
// Each step ends in an agreement: if any process failed or was interrupted, every process removes the shard it
// wrote (not an earlier run's of the same name) and throws the same AgreedError, so nothing is left behind and main
// reports the error once.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apps/outputs.hpp"
#include "datasets/atomic_file.hpp"

namespace mimo::cli {

class ShardedOutput {
public:
  /// Installs the interrupt handler (a short grace period: mpirun kills a second after forwarding Ctrl-C) and
  /// registers the shards folder for deletion if a signal must end the process at once (and this process's shard
  /// once it has written it, and, in process 0, `out` once it has joined it). `inputs` are the command's input files, which no output
  /// may overwrite.
  ShardedOutput(std::string out, std::vector<FlagPath> inputs);

  const std::string& out() const { return out_; }

  /// Checks the outputs, creates the shards folder and calls `write_shard` with this process's shard path; it
  /// returns false when interrupted (and must make no collective call: a failed process would never join it).
  /// Then agrees with every process: throws AgreedError in all of them if any failed.
  void write(const std::function<bool(const std::string& shard)>& write_shard);

  /// Process 0 calls `join` with every shard's path, in row order, to write `out`; agreed likewise. Afterwards,
  /// shards of an earlier run into the same `out` are removed.
  void join(const std::function<void(const std::vector<std::string>& shards)>& join);

private:
  void agree(const std::string& error);

  std::string out_, folder_, shard_;
  std::vector<FlagPath> inputs_;
  PartialFileGuard folder_guard_;
  std::optional<PartialFileGuard> shard_guard_, out_guard_;
  bool wrote_shard_ = false;
};

/// Removes the files named part-* in the shards folder of `out` other than the `keep` shards of the current run
/// (shards of an earlier run into the same `out`: another process count, a killed run's partial files), and the
/// folder itself when `keep` is 0 and it is left empty. For one-process runs too, whose `out` maps no shards.
void remove_stale_shards(const std::string& out, int keep);

}  // namespace mimo::cli
